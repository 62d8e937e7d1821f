export * from './common.js';
export * from './workspaces.js';
export * from './customers.js';
export * from './conversations.js';
export * from './live.js';
export * from './interactions.js';
export { PERMISSIONS, permissionsOf, type Permission } from './values.js';
export * from './system.js';
export * from './events.js';
