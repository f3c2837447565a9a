import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders each chatroom's messages by a per-chatroom sequence instead of timestamps, which tie under concurrent
 * prompts. Existing messages are numbered in their old (created_at, id) order.
 */
export class ReplySequence1764200000000 implements MigrationInterface {
  name = 'ReplySequence1764200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "chatrooms" ADD "last_message_seq" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "seq" integer`);
    await queryRunner.query(
      `UPDATE "messages" AS m SET "seq" = numbered.seq
       FROM (SELECT "id", row_number() OVER (PARTITION BY "chatroom_id" ORDER BY "created_at", "id") AS seq FROM "messages") AS numbered
       WHERE m."id" = numbered."id"`,
    );
    await queryRunner.query(
      `UPDATE "chatrooms" AS c SET "last_message_seq" = coalesce((SELECT max("seq") FROM "messages" WHERE "chatroom_id" = c."id"), 0)`,
    );
    await queryRunner.query(`ALTER TABLE "messages" ALTER COLUMN "seq" SET NOT NULL`);
    await queryRunner.query(`DROP INDEX "public"."IDX_b9f998c1db3a6962acc225dc6e"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "IDX_acefed8a8e150aa5658bde1be4" ON "messages" ("chatroom_id", "seq") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_acefed8a8e150aa5658bde1be4"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_b9f998c1db3a6962acc225dc6e" ON "messages" ("chatroom_id", "created_at", "id") `,
    );
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "seq"`);
    await queryRunner.query(`ALTER TABLE "chatrooms" DROP COLUMN "last_message_seq"`);
  }
}
