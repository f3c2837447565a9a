import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations become trees: `reply_to_id` becomes `parent_id`, which a prompt now has too (the reply it follows),
 * so a prompt may have several replies (regenerations) and a reply several follow-up prompts (edits); a forked
 * chatroom's messages name the ones they copy. Each chatroom
 * remembers its active branch by its newest message, and gains a title source and generation settings. Existing
 * conversations become single branches in their `seq` order; a chatroom still titled "New chat" may get a
 * generated title.
 */
export class ConversationBranches1764300000000 implements MigrationInterface {
  name = 'ConversationBranches1764300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_da5b66b5f716f1537edde6cae5"`);
    await queryRunner.query(`ALTER TABLE "messages" RENAME COLUMN "reply_to_id" TO "parent_id"`);
    await queryRunner.query(
      `UPDATE "messages" AS m SET "parent_id" = previous."id" FROM "messages" AS previous
       WHERE m."role" = 'user' AND previous."chatroom_id" = m."chatroom_id" AND previous."seq" = m."seq" - 1`,
    );
    await queryRunner.query(
      `CREATE TYPE "public"."chatroom_title_source" AS ENUM('default', 'user', 'generated', 'fork')`,
    );
    await queryRunner.query(
      `ALTER TABLE "chatrooms" ADD "title_source" "public"."chatroom_title_source" NOT NULL DEFAULT 'user'`,
    );
    await queryRunner.query(`UPDATE "chatrooms" SET "title_source" = 'default' WHERE "title" = 'New chat'`);
    await queryRunner.query(`ALTER TABLE "chatrooms" ADD "active_leaf_id" uuid`);
    await queryRunner.query(
      `UPDATE "chatrooms" AS c SET "active_leaf_id" = m."id" FROM "messages" AS m
       WHERE m."chatroom_id" = c."id" AND m."seq" = c."last_message_seq"`,
    );
    await queryRunner.query(`ALTER TABLE "messages" ADD "copied_from_id" uuid`);
    await queryRunner.query(`ALTER TABLE "chatrooms" ADD "system_instruction" text`);
    await queryRunner.query(`ALTER TABLE "chatrooms" ADD "model" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "chatrooms" ADD "temperature" real`);
    await queryRunner.query(`ALTER TABLE "chatrooms" ADD "max_output_tokens" integer`);
    await queryRunner.query(
      `CREATE INDEX "IDX_ccd90f9f97d80fe7340449e099" ON "messages" ("chatroom_id", "seq") WHERE parent_id IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_6956ce7861ff69f933ac36a28a" ON "messages" ("parent_id", "seq") `,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "FK_932abe146b78bd584b4d1851ce3" FOREIGN KEY ("parent_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  /** Branches cannot be represented before this migration: only each prompt's first reply is kept. */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_932abe146b78bd584b4d1851ce3"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_6956ce7861ff69f933ac36a28a"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_ccd90f9f97d80fe7340449e099"`);
    await queryRunner.query(`ALTER TABLE "chatrooms" DROP COLUMN "max_output_tokens"`);
    await queryRunner.query(`ALTER TABLE "chatrooms" DROP COLUMN "temperature"`);
    await queryRunner.query(`ALTER TABLE "chatrooms" DROP COLUMN "model"`);
    await queryRunner.query(`ALTER TABLE "chatrooms" DROP COLUMN "system_instruction"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "copied_from_id"`);
    await queryRunner.query(`ALTER TABLE "chatrooms" DROP COLUMN "active_leaf_id"`);
    await queryRunner.query(`ALTER TABLE "chatrooms" DROP COLUMN "title_source"`);
    await queryRunner.query(`DROP TYPE "public"."chatroom_title_source"`);
    await queryRunner.query(`UPDATE "messages" SET "parent_id" = NULL WHERE "role" = 'user'`);
    await queryRunner.query(
      `DELETE FROM "messages" AS later USING "messages" AS first
       WHERE later."role" = 'model' AND first."parent_id" = later."parent_id" AND first."seq" < later."seq"`,
    );
    await queryRunner.query(`ALTER TABLE "messages" RENAME COLUMN "parent_id" TO "reply_to_id"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_da5b66b5f716f1537edde6cae5" ON "messages" ("reply_to_id") WHERE (reply_to_id IS NOT NULL)`,
    );
  }
}
