import { TitleSource } from '@app/database';
import { PageQuery } from '../common/pagination';
import { pageJson } from './chatrooms.service';
import { ChatroomPageResponse, ChatroomResponse } from './dto/chatroom.dto';

const chatroom = (index: number): ChatroomResponse => ({
  id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
  title: `Room "${index}" – ünïcode ✓`,
  titleSource: TitleSource.User,
  settings: { systemInstruction: null, model: null, temperature: index / 10, maxOutputTokens: null },
  lastActivityAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 60 - index)).toISOString(),
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const query = (fields: Partial<PageQuery> = {}): PageQuery => Object.assign(new PageQuery(), fields);
const cachedOf = (list: ChatroomResponse[]) => ({ count: list.length, json: JSON.stringify(list) });

describe('pageJson', () => {
  it('answers a first page holding the whole list with the bytes JSON.stringify gives for that page', () => {
    const list = [chatroom(1), chatroom(2), chatroom(3)];
    const paginate = jest.fn();
    const page: ChatroomPageResponse = { items: list, nextCursor: null };
    expect(pageJson(cachedOf(list), query(), paginate)).toBe(JSON.stringify(page));
    expect(pageJson(cachedOf([]), query(), paginate)).toBe(JSON.stringify({ items: [], nextCursor: null }));
    expect(paginate).not.toHaveBeenCalled();
  });

  it('cuts every other page from the parsed list', () => {
    const list = [chatroom(1), chatroom(2), chatroom(3)];
    const cut: ChatroomPageResponse = { items: list.slice(0, 2), nextCursor: 'next' };
    const paginate = jest.fn().mockReturnValue(cut);
    expect(pageJson(cachedOf(list), query({ limit: 2 }), paginate)).toBe(JSON.stringify(cut));
    expect(paginate).toHaveBeenCalledWith(list);
    expect(pageJson(cachedOf(list), query({ cursor: 'abc' }), paginate)).toBe(JSON.stringify(cut));
  });
});
