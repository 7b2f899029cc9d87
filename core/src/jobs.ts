import { certificateJobs } from './certificates/jobs.js';
import type { JobDefinition } from './kernel/jobs/job.js';
import { housekeepingJob } from './maintenance/housekeeping.js';
import { noticeJobs } from './messaging/notices.js';
import { subscriptionJobs } from './subscriptions/webhooks.js';

/** Every module's job kinds: each tenant's queue runs workers for all of them. */
export const jobDefinitions: readonly JobDefinition[] = [...noticeJobs, ...certificateJobs, ...subscriptionJobs, housekeepingJob];
