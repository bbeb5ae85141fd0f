import * as fc from "fast-check";
import type { JsonValue } from "../contract.js";
import type { ScenarioModel, Step } from "../step.js";
import { BadArgsError } from "./args.js";
import { Command, type CommandSpec } from "./base.js";
import { type BuildPopulationCommand, buildPopulation } from "./buildPopulation.js";
import { type CrashCommand, crash } from "./crash.js";

type Args = { population: Record<string, JsonValue>; crash: Record<string, JsonValue> };

/**
 * A whole liquidation cascade as one arbitrary: a population of accounts near their leverage limit,
 * then a correlated crash over k blocks with the keeper prompt, slow or absent and LPs running for the exit.
 */
export class CascadeCommand extends Command<Args> {
  readonly name = "cascade";
  private readonly population: BuildPopulationCommand;
  private readonly crash: CrashCommand;
  constructor(a: Args) {
    super(a);
    this.population = buildPopulation.build(a.population) as BuildPopulationCommand;
    this.crash = crash.build(a.crash) as CrashCommand;
  }
  override check(m: Readonly<ScenarioModel>) {
    return this.population.check(m);
  }
  async act(step: Step) {
    await this.population.act(step);
    await this.crash.act(step);
  }
  toString() {
    return `cascade(${this.population.toString()} then ${this.crash.toString()})`;
  }
}

const object = (args: Record<string, JsonValue>, key: string): Record<string, JsonValue> => {
  const value = args[key];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadArgsError(`${key} must be an object`);
  }
  return value;
};

export const cascade: CommandSpec = {
  name: "cascade",
  build: (args) =>
    new CascadeCommand({ population: object(args, "population"), crash: object(args, "crash") }),
  arbitrary: fc
    .tuple(buildPopulation.arbitrary, crash.arbitrary)
    .map(([p, c]) => new CascadeCommand({ population: p.args(), crash: c.args() })),
};
