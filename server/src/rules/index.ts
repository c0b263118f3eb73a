/** The rule registry: one rule per code, in code order. Each rule's finding data is DataByCode[code] (findings.ts). */
import type { RuleCode, RuleMeta } from '../findings';
import type { FixName, Rule } from './common';
import { DJC101 } from './DJC101';
import { DJC102 } from './DJC102';
import { DJC103 } from './DJC103';
import { DJC104 } from './DJC104';
import { DJC105 } from './DJC105';
import { DJC106 } from './DJC106';
import { DJC107 } from './DJC107';
import { DJC108 } from './DJC108';
import { DJC109 } from './DJC109';

const RULES: { [C in RuleCode]: Rule<C> } = { DJC101, DJC102, DJC103, DJC104, DJC105, DJC106, DJC107, DJC108, DJC109 };

type AnyRule = (typeof RULES)[RuleCode];

export const allRules: AnyRule[] = Object.values(RULES);
export const ruleMetas: RuleMeta[] = allRules.map((r) => r.meta);

/** The quick-fixes of a rule's findings, the preferred first. */
export function fixesOfRule(code: RuleCode): readonly FixName[] {
  return RULES[code].fixes;
}

export type { FixName };
