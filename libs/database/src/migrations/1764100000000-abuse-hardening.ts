import { MigrationInterface, QueryRunner } from 'typeorm';

export class AbuseHardening1764100000000 implements MigrationInterface {
  name = 'AbuseHardening1764100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "verified_at" TIMESTAMP WITH TIME ZONE`);
    // Before this migration an OTP login was the only way to a session without a password, so a passwordless
    // account with a session was proven. An account with a password may have been pre-registered by anyone: it
    // stays unverified, and its first OTP login clears that password and ends its sessions.
    await queryRunner.query(
      `UPDATE "users" SET "verified_at" = "created_at"
        WHERE "password_hash" IS NULL AND EXISTS (SELECT 1 FROM "sessions" WHERE "sessions"."user_id" = "users"."id")`,
    );
    await queryRunner.query(`ALTER TABLE "stripe_events" ADD "ignored_reason" character varying(200)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "stripe_events" DROP COLUMN "ignored_reason"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "verified_at"`);
  }
}
