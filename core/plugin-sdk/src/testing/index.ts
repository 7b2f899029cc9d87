export * from './context.js';
export * from './fakes.js';
export * from './id-verifier-kit.js';
export * from './manifest-kit.js';
export * from './peers.js';
export * from './registry-server.js';
export * from './sms-gateway-kit.js';
