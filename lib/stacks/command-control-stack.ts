import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { DrStackProps } from './dr-stack-props';
import { CommandApi } from '../command-control/command-api';
import { createAlarmTopic } from '../private/alarm-topic';
import { drStackProps } from '../private/dr-stack';
import type { RegionalHealthApi } from '../shared-services/regional-health-api';
import { HealthCheckTarget } from '../shared-services/regional-health-api-props';
import { DrRegionRole, type DrTopology } from '../topology';
import { addWorkloadHealthApi } from './workload-health';

export interface CommandControlStackProps extends DrStackProps {
  /**
   * An existing ACM certificate for `api.<domain>` in this account and region.
   *
   * @default - in phase two (the topology has `failover.healthApiUrls`), a certificate validated by DNS: its
   * deployment waits until the validation CNAME ACM shows is created in the domain's hosted zone (in the
   * shared-services account)
   */
  readonly apiCertificateArn?: string;
}

/**
 * The command-and-control account in one region: the device-management API (`CommandApi`: onboard, suspend,
 * resume, decommission, status in both regions), whose function assumes the `CommandAccessRole` of the
 * iot-services account; in phase two its custom domain `api.<domain>` (output `ApiRegionalDomainName`, which
 * the topology's `failover.apiDomainNames` takes for the failover records); an alarm topic (output
 * `AlarmTopicArn`); and this region's health API (output `HealthApiUrl`), whose check runs the command
 * function's self-check (access role, IoT registry read, journal read).
 */
export class CommandControlStack extends Stack {
  /** The output holding the API's regional domain name (phase two). */
  static readonly API_DOMAIN_NAME_OUTPUT = 'ApiRegionalDomainName';
  /** The output holding the API's execute-api URL. */
  static readonly API_URL_OUTPUT = 'ApiUrl';

  /** The topology this stack was placed by. */
  readonly topology: DrTopology;
  /** Whether this stack serves the primary or the secondary region. */
  readonly regionRole: DrRegionRole;
  /** The device-management API of this region. */
  readonly commandApi: CommandApi;
  /** The topic every alarm of this stack notifies (output `AlarmTopicArn`). */
  readonly alarmTopic: sns.ITopic;
  /** This region's health API, callable by the shared-services aggregator of this region (output `HealthApiUrl`). */
  readonly healthApi: RegionalHealthApi;

  constructor(scope: Construct, id: string, props: CommandControlStackProps) {
    const { apiCertificateArn, ...drProps } = props;
    super(scope, id, drStackProps(scope, id, drProps, 'commandControl', 'command and control'));
    this.topology = props.topology;
    this.regionRole = props.regionRole;
    const roleName = this.regionRole === DrRegionRole.PRIMARY ? 'primary' : 'secondary';

    this.alarmTopic = createAlarmTopic(this, 'cdk-iot-dr command API alarms', 'cdk-iot-dr: encrypts the alarm topic of the command API');
    new CfnOutput(this, 'AlarmTopicArn', { description: "Every alarm of this region's command API notifies this topic", value: this.alarmTopic.topicArn });
    const alarms = new cloudwatchActions.SnsAction(this.alarmTopic);

    // The custom domain comes with the failover (phase two), like the IoT custom domain: its certificate is
    // validated in the domain's zone, which phase one does not need yet.
    const phaseTwo = this.topology.failover?.healthApiUrls !== undefined;
    this.commandApi = new CommandApi(this, 'CommandApi', {
      iotServicesAccount: this.topology.accounts.iotServices,
      peerRegion: this.topology.peerOf(this.regionRole),
      ...(phaseTwo
        ? {
            domainName: `api.${this.topology.domainName}`,
            certificate: apiCertificateArn ? acm.Certificate.fromCertificateArn(this, 'ApiCertificate', apiCertificateArn) : undefined,
          }
        : {}),
      alarmActions: [alarms],
    });
    // The API's outputs under stable names: what an operator copies (ApiRegionalDomainName into the topology).
    const output = (child: string, name: string): void => (this.commandApi.node.tryFindChild(child) as CfnOutput | undefined)?.overrideLogicalId(name);
    output('RegionalDomainName', CommandControlStack.API_DOMAIN_NAME_OUTPUT);
    output('Url', CommandControlStack.API_URL_OUTPUT);

    this.healthApi = addWorkloadHealthApi(this, {
      topology: this.topology,
      regionRole: this.regionRole,
      topologyField: `${roleName}.commandControl`,
      checks: [HealthCheckTarget.lambdaFunction(this.commandApi.function, 'command-api')],
      alarmActions: [alarms],
    });
  }
}
