// What each role may use in the web app; mirrors the server's permissions (the server enforces them).
import type { Role } from '../api/types';

export type Capability = 'write' | 'customers' | 'settings' | 'members';

const capabilities: Record<Role, ReadonlySet<Capability>> = {
  owner: new Set<Capability>(['write', 'customers', 'settings', 'members']),
  admin: new Set<Capability>(['write', 'customers', 'settings', 'members']),
  agent: new Set<Capability>(['write', 'customers', 'members']),
  analyst: new Set<Capability>(['customers', 'members']),
  partner: new Set<Capability>(['write']),
};

export const can = (role: Role, capability: Capability) => capabilities[role].has(capability);
