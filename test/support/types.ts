/** The shapes of api responses as the e2e suites read them. */
export interface MessageBody {
  id: string;
  role: string;
  status: string;
  content: string;
  parentId: string | null;
  replyToId: string | null;
  model: string | null;
  truncated: boolean;
  error: { code: string; message: string } | null;
  finishReason: string | null;
  usage: { promptTokens: number; outputTokens: number; totalTokens: number } | null;
}

export interface SentBody {
  message: MessageBody;
  reply: MessageBody;
}
