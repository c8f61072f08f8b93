import type { EmulatorContext } from './context';
import { resourceNotFound } from './errors';
import { nameLabel } from './input';
import { paginate } from './pagination';
import type { OperationInput, OperationOutput, Route } from './router';

/**
 * Thing principals. Certificates are not emulated yet, so a thing never has principals; this module is
 * where AttachThingPrincipal / DetachThingPrincipal go once they are (and DeleteThing must then refuse a
 * thing that still has principals attached, as AWS does).
 */
export function principalRoutes(ctx: EmulatorContext): Route[] {
  return [
    {
      operation: 'ListThingPrincipals',
      method: 'GET',
      path: '/things/{thingName}/principals',
      handle: (i) => listThingPrincipals(ctx, i),
    },
  ];
}

function listThingPrincipals(ctx: EmulatorContext, input: OperationInput): OperationOutput {
  const thingName = nameLabel(input, 'thingName', 'thingName');
  if (!ctx.state.things.has(thingName)) throw resourceNotFound(`Thing ${thingName} cannot be found.`);
  const page = paginate<string>([], (principal) => principal, input.query);
  return { principals: page.items };
}
