import { AwsSolutionsChecks } from 'cdk-nag';
import { CommandAccessRole, CommandApi } from '../../../lib/command-control';
import { PRIMARY, SECONDARY, stackIn, testApp } from '../helpers';

test('cdk-nag AwsSolutions: every finding of the command API and the access role is acknowledged with a reason', () => {
  const app = testApp();
  const commands = stackIn(PRIMARY, app);
  new CommandApi(commands, 'Commands', { iotServicesAccount: '444444444444', peerRegion: SECONDARY, domainName: 'api.example.com' });
  const iot = stackIn(SECONDARY, app);
  new CommandAccessRole(iot, 'Access', { commandControlAccount: '222222222222', commandRegions: [SECONDARY, PRIMARY] });
  const report = new AwsSolutionsChecks().validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});
