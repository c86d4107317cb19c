import type { FastifyInstance } from 'fastify';
import { adminGetFaults, adminPutFaults } from '@brazen/contract';
import { badRequest } from '../errors.ts';
import type { FaultInjector } from '../faults/injector.ts';
import { FaultRuleError } from '../faults/rules.ts';
import { route } from './route.ts';

/** GET and PUT /admin/faults: rules per API key name, and the seed. Only with `--faults`. */
export function faultRoutes(app: FastifyInstance, injector: FaultInjector): void {
  route(app, adminGetFaults, async () => ({ message: 'success', ...injector.state() }));

  route(app, adminPutFaults, async ({ body }) => {
    const { key_name: keyName, rules, seed } = body;
    if (keyName === undefined && rules === undefined && seed === undefined) throw badRequest('key_name and rules, or seed, is required');
    if ((keyName === undefined) !== (rules === undefined)) throw badRequest(`${keyName === undefined ? 'key_name' : 'rules'} is required with ${keyName === undefined ? 'rules' : 'key_name'}`);
    if (keyName !== undefined && rules !== undefined) {
      try {
        injector.setKeyRules(keyName, rules);
      } catch (error) {
        if (error instanceof FaultRuleError) throw badRequest(`rules ${error.message}`);
        throw error;
      }
    }
    if (seed !== undefined) injector.reseed(seed);
    return { message: 'success', ...injector.state() };
  });
}
