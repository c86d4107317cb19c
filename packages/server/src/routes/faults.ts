import type { FastifyInstance } from 'fastify';
import { adminGetFaults, adminPutFaults } from '@brazen/contract';
import { badRequest } from '../errors.ts';
import type { FaultInjectors } from '../faults/injector.ts';
import { FaultRuleError } from '../faults/rules.ts';
import { route } from './route.ts';

/** GET and PUT /admin/faults: rules per API key name, and the seed, of the caller's workspace.
 * Only with `--faults`. */
export function faultRoutes(app: FastifyInstance, injectors: FaultInjectors): void {
  route(app, adminGetFaults, async ({ ctx }) => ({ message: 'success', ...injectors.of(ctx.store.name).state() }));

  route(app, adminPutFaults, async ({ body, ctx }) => {
    const injector = injectors.of(ctx.store.name);
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
