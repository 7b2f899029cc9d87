import { Migration } from '@mikro-orm/migrations';

/**
 * One dose of a multi-dose product, taken in one call (inventory/stock-service.ts, `take`): the
 * location's balance row locked, then, in a statement of its own, the dose from the oldest open
 * vial or a new one, the balance and the movement. It was two statements from the app, the lock
 * and then the rest, because the rest must see every dose given before it here, and a statement
 * that waited for the lock still reads with the snapshot it began with; in a function each
 * statement takes its own. One round trip fewer for every dose, and the row is held one turn of
 * the app's event loop less. Answers the balance found when locking (`locked`) and, when it wrote
 * nothing because an open vial is past its discard time (`expired` > 0), no more: the app then
 * takes the step-by-step path, which records that wastage first.
 */
export class Migration20261208010000StockTakeVialDose extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function teeka_take_vial_dose(
        p_kind varchar, p_id varchar, p_batch uuid, p_vial uuid, p_doses_per_vial int, p_actor uuid,
        p_open_seconds int, p_reference varchar)
      returns table (locked int, expired int, balance int, movement_id bigint, vial_id uuid, doses_left int,
        discard_at timestamptz)
      language plpgsql as $fn$
      #variable_conflict use_column
      declare
        v_balance int;
      begin
        select s.doses into v_balance from stock_balance s
         where s.location_kind = p_kind and s.location_id = p_id and s.batch_id = p_batch for update;
        if v_balance is null or v_balance < 1 then
          return query select coalesce(v_balance, 0), 0, null::int, null::bigint, null::uuid, null::int, null::timestamptz;
          return;
        end if;
        return query
        with expired as (select count(*)::int as n from open_vial o
                          where o.location_kind = p_kind and o.location_id = p_id and o.batch_id = p_batch and o.state = 'open'
                            and o.discard_at <= now()),
             oldest as (select o.id from open_vial o
                         where o.location_kind = p_kind and o.location_id = p_id and o.batch_id = p_batch and o.state = 'open'
                           and o.doses_left > 0
                         order by o.opened_at, o.id limit 1),
             taken as (update open_vial v set doses_left = v.doses_left - 1,
                         state = case when v.doses_left = 1 then 'used-up' else 'open' end,
                         closed_at = case when v.doses_left = 1 then now() else null end
                        where v.id = (select id from oldest) and (select n from expired) = 0
                        returning v.id, v.doses_left, v.discard_at),
             unopened as (select v_balance - coalesce(sum(o.doses_left), 0)::int as n from open_vial o
                           where o.location_kind = p_kind and o.location_id = p_id and o.batch_id = p_batch and o.state = 'open'),
             opened as (insert into open_vial as v (id, batch_id, location_kind, location_id, doses_in_vial, doses_left, state, opened_by,
                           discard_at, closed_at)
                         select p_vial, p_batch, p_kind, p_id, least(p_doses_per_vial, u.n), least(p_doses_per_vial, u.n) - 1,
                           case when least(p_doses_per_vial, u.n) = 1 then 'used-up' else 'open' end, p_actor,
                           now() + make_interval(secs => p_open_seconds),
                           case when least(p_doses_per_vial, u.n) = 1 then now() end
                         from unopened u
                         where u.n >= 1 and (select n from expired) = 0 and not exists (select 1 from oldest)
                         returning v.id, v.doses_left, v.discard_at),
             bal as (update stock_balance s set doses = s.doses - 1, updated_at = now()
                      where s.location_kind = p_kind and s.location_id = p_id and s.batch_id = p_batch and s.doses >= 1
                        and (exists (select 1 from taken) or exists (select 1 from opened))
                      returning s.doses),
             mv as (insert into stock_movement as m (batch_id, location_kind, location_id, kind, doses, reference, actor_id)
                     select p_batch, p_kind, p_id, 'administered', -1, p_reference, p_actor from bal returning m.id)
        select v_balance, (select n from expired), (select doses from bal), (select id from mv),
          coalesce((select id from taken), (select id from opened)),
          coalesce((select doses_left from taken), (select doses_left from opened)),
          coalesce((select discard_at from taken), (select discard_at from opened));
      end
      $fn$`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists teeka_take_vial_dose(varchar, varchar, uuid, uuid, int, uuid, int, varchar)');
  }
}
