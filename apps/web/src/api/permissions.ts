// What each role may use in the web app, read from the contract's role table (the server
// enforces the same table).
import { permissionsOf, type Permission } from '@rapport/contracts/values';
import type { Role } from './types';

export type Capability = 'write' | 'customers' | 'settings' | 'members';

const needs: Record<Capability, Permission> = {
  write: 'conversations.write',
  customers: 'customers.read',
  settings: 'settings.manage',
  members: 'members.read',
};

export const can = (role: Role, capability: Capability) => permissionsOf[role].includes(needs[capability]);
