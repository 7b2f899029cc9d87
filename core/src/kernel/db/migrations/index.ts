import { Migration20261123120000Foundation } from './Migration20261123120000Foundation.js';

/**
 * Every migration, oldest first. Listed explicitly (not globbed from disk) so the compiled app
 * carries exactly the migrations it was built with. Each tenant database runs all of them.
 */
export const migrations = [{ name: 'Migration20261123120000Foundation', class: Migration20261123120000Foundation }];
