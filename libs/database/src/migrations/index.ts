import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { AbuseHardening1764100000000 } from './1764100000000-abuse-hardening';
import { ReplySequence1764200000000 } from './1764200000000-reply-sequence';
import { ConversationBranches1764300000000 } from './1764300000000-conversation-branches';
import { UsageLedger1764400000000 } from './1764400000000-usage-ledger';

/** Every migration, in order. Listed explicitly so both apps and the compiled build run exactly these. */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  AbuseHardening1764100000000,
  ReplySequence1764200000000,
  ConversationBranches1764300000000,
  UsageLedger1764400000000,
];
