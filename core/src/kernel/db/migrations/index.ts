import { Migration20261123120000Foundation } from './Migration20261123120000Foundation.js';
import { Migration20261123130000Registration } from './Migration20261123130000Registration.js';
import { Migration20261123140000Messaging } from './Migration20261123140000Messaging.js';
import { Migration20261123150000Areas } from './Migration20261123150000Areas.js';
import { Migration20261123155000Doses } from './Migration20261123155000Doses.js';
import { Migration20261123160000Facilities } from './Migration20261123160000Facilities.js';
import { Migration20261123170000Sessions } from './Migration20261123170000Sessions.js';
import { Migration20261123180000Rescheduling } from './Migration20261123180000Rescheduling.js';
import { Migration20261123185000IntervalExceptions } from './Migration20261123185000IntervalExceptions.js';
import { Migration20261123190000Inventory } from './Migration20261123190000Inventory.js';
import { Migration20261123200000Vaccination } from './Migration20261123200000Vaccination.js';
import { Migration20261123210000Aefi } from './Migration20261123210000Aefi.js';
import { Migration20261123220000Certificates } from './Migration20261123220000Certificates.js';
import { Migration20261123230000Subscriptions } from './Migration20261123230000Subscriptions.js';
import { Migration20261123240000CowinCaptcha } from './Migration20261123240000CowinCaptcha.js';
import { Migration20261123250000Dashboard } from './Migration20261123250000Dashboard.js';
import { Migration20261123280000NoticeOutbox } from './Migration20261123280000NoticeOutbox.js';
import { Migration20261123290000OtpHold } from './Migration20261123290000OtpHold.js';
import { Migration20261206010000HousekeepingIndexes } from './Migration20261206010000HousekeepingIndexes.js';
import { Migration20261207010000AppointmentPersonIndex } from './Migration20261207010000AppointmentPersonIndex.js';
import { Migration20261207020000AvailabilitySnapshot } from './Migration20261207020000AvailabilitySnapshot.js';
import { Migration20261208010000StockTakeVialDose } from './Migration20261208010000StockTakeVialDose.js';

/**
 * Every migration, oldest first. Listed explicitly (not globbed from disk) so the compiled app
 * carries exactly the migrations it was built with. Each tenant database runs all of them.
 */
export const migrations = [
  { name: 'Migration20261123120000Foundation', class: Migration20261123120000Foundation },
  { name: 'Migration20261123130000Registration', class: Migration20261123130000Registration },
  { name: 'Migration20261123140000Messaging', class: Migration20261123140000Messaging },
  { name: 'Migration20261123150000Areas', class: Migration20261123150000Areas },
  { name: 'Migration20261123155000Doses', class: Migration20261123155000Doses },
  { name: 'Migration20261123160000Facilities', class: Migration20261123160000Facilities },
  { name: 'Migration20261123170000Sessions', class: Migration20261123170000Sessions },
  { name: 'Migration20261123180000Rescheduling', class: Migration20261123180000Rescheduling },
  { name: 'Migration20261123185000IntervalExceptions', class: Migration20261123185000IntervalExceptions },
  { name: 'Migration20261123190000Inventory', class: Migration20261123190000Inventory },
  { name: 'Migration20261123200000Vaccination', class: Migration20261123200000Vaccination },
  { name: 'Migration20261123210000Aefi', class: Migration20261123210000Aefi },
  { name: 'Migration20261123220000Certificates', class: Migration20261123220000Certificates },
  { name: 'Migration20261123230000Subscriptions', class: Migration20261123230000Subscriptions },
  { name: 'Migration20261123240000CowinCaptcha', class: Migration20261123240000CowinCaptcha },
  { name: 'Migration20261123250000Dashboard', class: Migration20261123250000Dashboard },
  { name: 'Migration20261123280000NoticeOutbox', class: Migration20261123280000NoticeOutbox },
  { name: 'Migration20261123290000OtpHold', class: Migration20261123290000OtpHold },
  { name: 'Migration20261206010000HousekeepingIndexes', class: Migration20261206010000HousekeepingIndexes },
  { name: 'Migration20261207010000AppointmentPersonIndex', class: Migration20261207010000AppointmentPersonIndex },
  { name: 'Migration20261207020000AvailabilitySnapshot', class: Migration20261207020000AvailabilitySnapshot },
  { name: 'Migration20261208010000StockTakeVialDose', class: Migration20261208010000StockTakeVialDose },
];
