export * from './context.js';
export * from './http.js';
export * from './kinds/document-verifier.js';
export * from './kinds/id-verifier.js';
export * from './kinds/sms-gateway.js';
export * from './manifest.js';
export * from './registry.js';
export * from './sms.js';

import type { IdVerifierPlugin } from './kinds/id-verifier.js';
import type { SmsGatewayPlugin } from './kinds/sms-gateway.js';

/** What a code plugin's module exports as its default export. */
export type CodePlugin = IdVerifierPlugin<any> | SmsGatewayPlugin<any>;
