/**
 * Idle and wasted resources, from the optimizer's recording (`optimizer.ts`): platform functions
 * and state machines that did not run in the window, and functions every invocation of which
 * failed. Lambda and Standard workflows bill only what runs, so an idle one saves nothing when
 * removed (it is listed with a saving of 0, below every saving in money); a function that only
 * fails is billed for its duration all the same.
 */
import type { CostPrices } from '../../../config/schema';
import { metricSeries, optimizerWindowDays, type OptimizerRecording } from './optimizer';
import type { Recommendation } from './report';

/** An average month, the unit every saving is given in. */
const daysPerMonth = 365 / 12;

const cents = (amount: number) => Math.round(amount * 100) / 100;

export function idleAdvice(recording: OptimizerRecording, prices: CostPrices): Recommendation[] {
  const series = metricSeries(recording);
  const sum = (namespace: string, metric: string, dimension: string, value: string) => {
    const query = recording.queries.find(
      (q) => q.namespace === namespace && q.metric === metric && q.dimensions[dimension] === value,
    );
    return (query ? series.get(query.id)! : []).reduce((total, p) => total + p.value, 0);
  };
  const window = `${recording.period.from} to ${recording.period.to} (exclusive)`;
  const functions = recording.functions.flatMap(({ name, memoryMb }): Recommendation[] => {
    const invocations = sum('AWS/Lambda', 'Invocations', 'FunctionName', name);
    if (invocations === 0)
      return [
        {
          title: `Idle function ${name}`,
          detail: `No invocation in the ${optimizerWindowDays} days from ${window}. Lambda bills requests and compute only, so it costs nothing idle and removing it saves nothing; remove it, or what triggers it, if its job is gone, and keep it if it runs on demand (erasure requests, restores, backfills).`,
          monthlySaving: 0,
        },
      ];
    const errors = sum('AWS/Lambda', 'Errors', 'FunctionName', name);
    if (errors < invocations) return [];
    const durationMs = sum('AWS/Lambda', 'Duration', 'FunctionName', name);
    const gbSeconds = (durationMs / 1000) * (memoryMb / 1024);
    return [
      {
        title: `Every invocation of ${name} failed`,
        detail: `${invocations} invocations in the ${optimizerWindowDays} days from ${window}, ${errors} of them errors: ${gbSeconds.toFixed(0)} GB-seconds at ${memoryMb} MB bought nothing. Fix or stop what invokes it; the saving is its compute at ${prices.lambdaArmGbSecondUsd} USD per GB-second (arm64), without its requests.`,
        monthlySaving: cents(
          gbSeconds * prices.lambdaArmGbSecondUsd * (daysPerMonth / optimizerWindowDays),
        ),
      },
    ];
  });
  const machines = recording.stateMachines.flatMap((arn): Recommendation[] =>
    sum('AWS/States', 'ExecutionsStarted', 'StateMachineArn', arn) === 0
      ? [
          {
            title: `Idle state machine ${arn.slice(arn.lastIndexOf(':') + 1)}`,
            detail: `${arn} started no execution in the ${optimizerWindowDays} days from ${window}. Standard workflows bill state transitions only, so it costs nothing idle and removing it saves nothing; check that its schedule is enabled if it should run.`,
            monthlySaving: 0,
          },
        ]
      : [],
  );
  return [...functions, ...machines];
}
