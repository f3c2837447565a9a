import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The usage ledger: per user and UTC day (prompts accepted, replies by outcome, tokens), per user and month (tokens
 * used and reserved, for the token budget), and an operator's per-user limit overrides. Existing messages are
 * counted into it as the apps would have counted them, so the ledger equals the stored replies from the start.
 */
export class UsageLedger1764400000000 implements MigrationInterface {
  name = 'UsageLedger1764400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "usage_days" ("user_id" uuid NOT NULL, "day" date NOT NULL, "prompts" integer NOT NULL DEFAULT '0', "replies_completed" integer NOT NULL DEFAULT '0', "replies_failed" integer NOT NULL DEFAULT '0', "replies_cancelled" integer NOT NULL DEFAULT '0', "prompt_tokens" bigint NOT NULL DEFAULT '0', "output_tokens" bigint NOT NULL DEFAULT '0', "thinking_tokens" bigint NOT NULL DEFAULT '0', "system_tokens" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_7b6a5bc212f6eafa573939f3b0c" PRIMARY KEY ("user_id", "day"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "usage_months" ("user_id" uuid NOT NULL, "month" date NOT NULL, "used_tokens" bigint NOT NULL DEFAULT '0', "reserved_tokens" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_cb090eb33c0be239503f6977113" PRIMARY KEY ("user_id", "month"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_00359395d3656320c188f4e25c" ON "usage_months" ("month", "used_tokens") `,
    );
    await queryRunner.query(
      `CREATE TABLE "user_limits" ("user_id" uuid NOT NULL, "daily_prompts" integer, "monthly_tokens" bigint, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_75a80f26e54df4194d15bea6668" PRIMARY KEY ("user_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "messages" ADD "thinking_tokens" integer`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "reserved_tokens" integer`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "usage_day" date`);
    await queryRunner.query(
      `ALTER TABLE "usage_days" ADD CONSTRAINT "FK_6cfd7b9495fda270395f82b8a40" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "usage_months" ADD CONSTRAINT "FK_dc7ce2c91274de0fb1fa133c0a9" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "user_limits" ADD CONSTRAINT "FK_75a80f26e54df4194d15bea6668" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `UPDATE "messages" SET "usage_day" = ("created_at" AT TIME ZONE 'UTC')::date
       WHERE "role" = 'model' AND "copied_from_id" IS NULL`,
    );
    await queryRunner.query(
      `INSERT INTO "usage_days" ("user_id", "day", "prompts", "replies_completed", "replies_failed",
                                 "replies_cancelled", "prompt_tokens", "output_tokens")
       SELECT "user_id", ("created_at" AT TIME ZONE 'UTC')::date,
              count(*) FILTER (WHERE "role" = 'user'),
              count(*) FILTER (WHERE "role" = 'model' AND "status" = 'completed'),
              count(*) FILTER (WHERE "role" = 'model' AND "status" = 'failed'),
              count(*) FILTER (WHERE "role" = 'model' AND "status" = 'cancelled'),
              coalesce(sum("prompt_tokens") FILTER (WHERE "role" = 'model' AND "status" IN ('completed', 'failed', 'cancelled')), 0),
              coalesce(sum("output_tokens") FILTER (WHERE "role" = 'model' AND "status" IN ('completed', 'failed', 'cancelled')), 0)
       FROM "messages" WHERE "copied_from_id" IS NULL GROUP BY 1, 2`,
    );
    await queryRunner.query(
      `INSERT INTO "usage_months" ("user_id", "month", "used_tokens")
       SELECT "user_id", date_trunc('month', "day")::date, sum("prompt_tokens" + "output_tokens")
       FROM "usage_days" GROUP BY 1, 2`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_limits" DROP CONSTRAINT "FK_75a80f26e54df4194d15bea6668"`);
    await queryRunner.query(`ALTER TABLE "usage_months" DROP CONSTRAINT "FK_dc7ce2c91274de0fb1fa133c0a9"`);
    await queryRunner.query(`ALTER TABLE "usage_days" DROP CONSTRAINT "FK_6cfd7b9495fda270395f82b8a40"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "usage_day"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "reserved_tokens"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "thinking_tokens"`);
    await queryRunner.query(`DROP TABLE "user_limits"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_00359395d3656320c188f4e25c"`);
    await queryRunner.query(`DROP TABLE "usage_months"`);
    await queryRunner.query(`DROP TABLE "usage_days"`);
  }
}
