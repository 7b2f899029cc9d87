import { Migration } from '@mikro-orm/migrations';

/**
 * The answer to the last captcha a Co-WIN client asked for, per login session, kept as a keyed
 * hash and used once. Only consulted when the tenant turns the captcha on (`cowin.captcha`).
 */
export class Migration20261123240000CowinCaptcha extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table cowin_captcha (
      session_id uuid primary key,
      answer_hash char(64) not null,
      created_at timestamptz not null default now())`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists cowin_captcha');
  }
}
