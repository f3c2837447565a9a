import { ApiProperty } from '@nestjs/swagger';
import { MessageResponse } from '../../messages/dto/message.dto';
import { ChatroomResponse } from './chatroom.dto';

export class ChatroomDetailResponse extends ChatroomResponse {
  @ApiProperty({ type: [MessageResponse], description: 'The most recent messages, oldest first' })
  recentMessages!: MessageResponse[];
}
