/** Rule for one field of a model's `input`. */
export type KieFieldRule =
  | { type: 'string'; required?: boolean; minLength?: number; maxLength?: number; enum?: readonly string[] }
  | { type: 'boolean'; required?: boolean }
  | { type: 'integer'; required?: boolean; min?: number; max?: number }
  | { type: 'urls'; required?: boolean; minItems?: number; maxItems?: number }
  | { type: 'url'; required?: boolean }
  | { type: 'anyOf'; required?: boolean; rules: readonly KieFieldRule[] };

/** What createTask checks for a model: the rules of its `input` fields (unknown fields are allowed). */
export interface KieModelSpec {
  fields: Record<string, KieFieldRule>;
}

const prompt = (minLength: number, maxLength: number): KieFieldRule => ({
  type: 'string',
  required: true,
  minLength,
  maxLength,
});
const resolution = (values: readonly string[]): KieFieldRule => ({ type: 'string', enum: values });
const aspectRatios = ['1:1', '4:3', '3:4', '16:9', '9:16', '21:9'] as const;

/** Input shapes of the KIE market models the project may use (kie-video-models.md §2). */
export const kieModelSpecs: Record<string, KieModelSpec> = {
  'kling-2.6/image-to-video': {
    fields: {
      prompt: prompt(1, 1000),
      image_urls: { type: 'urls', required: true, minItems: 1, maxItems: 1 },
      sound: { type: 'boolean', required: true },
      duration: { type: 'string', required: true, enum: ['5', '10'] },
    },
  },
  'bytedance/seedance-1.5-pro': {
    fields: {
      prompt: prompt(3, 2500),
      aspect_ratio: { type: 'string', required: true, enum: aspectRatios },
      input_urls: { type: 'urls', minItems: 0, maxItems: 2 },
      resolution: resolution(['480p', '720p', '1080p']),
      // CONFLICT in the sources: "4"|"8"|"12" strings, or an integer 4–12; both are accepted.
      duration: {
        type: 'anyOf',
        rules: [
          { type: 'string', enum: ['4', '8', '12'] },
          { type: 'integer', min: 4, max: 12 },
        ],
      },
      fixed_lens: { type: 'boolean' },
      generate_audio: { type: 'boolean' },
    },
  },
  'wan/2-6-image-to-video': {
    fields: {
      prompt: prompt(2, 5000),
      image_urls: { type: 'urls', required: true, minItems: 1, maxItems: 1 },
      duration: { type: 'string', enum: ['5', '10', '15'] },
      resolution: resolution(['720p', '1080p']),
      nsfw_checker: { type: 'boolean' },
      multi_shots: { type: 'boolean' },
    },
  },
  'kling-3.0/video': {
    fields: {
      prompt: { type: 'string', maxLength: 2500 },
      image_urls: { type: 'urls', minItems: 0, maxItems: 2 },
      sound: { type: 'boolean', required: true },
      duration: {
        type: 'string',
        required: true,
        enum: ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'],
      },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1'] },
      mode: { type: 'string', enum: ['std', 'pro', '4K'] },
      multi_shots: { type: 'boolean' },
    },
  },
  'sora-2-image-to-video': {
    fields: {
      prompt: prompt(1, 10_000),
      image_urls: { type: 'urls', required: true, minItems: 1, maxItems: 1 },
      aspect_ratio: { type: 'string', enum: ['portrait', 'landscape'] },
      n_frames: { type: 'string', enum: ['10', '15'] },
      remove_watermark: { type: 'boolean' },
    },
  },
};

/** Models that exist but answer "This interface is temporarily paused" (the whole Sora 2 family). */
export const kiePausedModels: readonly string[] = [
  'sora-2-image-to-video',
  'sora-2-text-to-video',
  'sora-2-pro-image-to-video',
  'sora-2-pro-text-to-video',
];

/** A failed input check: `code` 500 for a missing field (as KIE answers), 422 for a bad value. */
export interface KieInputProblem {
  code: number;
  msg: string;
}

/** Checks a createTask `input` against a model spec; undefined when it is valid. */
export function validateKieInput(spec: KieModelSpec, input: unknown): KieInputProblem | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { code: 422, msg: 'input must be an object' };
  }
  const record = input as Record<string, unknown>;
  for (const [name, rule] of Object.entries(spec.fields)) {
    const value = record[name];
    if (value === undefined || value === null) {
      if (rule.required) return { code: 500, msg: `${name} is required` };
      continue;
    }
    const problem = checkRule(name, rule, value);
    if (problem) return { code: 422, msg: problem };
  }
  return undefined;
}

function checkRule(name: string, rule: KieFieldRule, value: unknown): string | undefined {
  switch (rule.type) {
    case 'string': {
      if (typeof value !== 'string') return `${name} must be a string`;
      if (rule.enum && !rule.enum.includes(value)) return `${name} must be one of: ${rule.enum.join(', ')}`;
      if (rule.minLength !== undefined && value.length < rule.minLength) {
        return `${name} must be at least ${rule.minLength} characters`;
      }
      if (rule.maxLength !== undefined && value.length > rule.maxLength) {
        return `${name} must be at most ${rule.maxLength} characters`;
      }
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${name} must be a boolean`;
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return `${name} must be an integer`;
      if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
        return `${name} must be between ${rule.min} and ${rule.max}`;
      }
      return undefined;
    }
    case 'url':
      return isHttpUrl(value) ? undefined : `${name} must be a public http(s) URL`;
    case 'urls': {
      if (!Array.isArray(value)) return `${name} must be an array`;
      if (rule.minItems !== undefined && value.length < rule.minItems) {
        return `${name} must have at least ${rule.minItems} item(s)`;
      }
      if (rule.maxItems !== undefined && value.length > rule.maxItems) {
        return `${name} must have at most ${rule.maxItems} item(s)`;
      }
      return value.every(isHttpUrl) ? undefined : `${name} must contain public http(s) URLs`;
    }
    case 'anyOf':
      return rule.rules.some((option) => checkRule(name, option, value) === undefined)
        ? undefined
        : `${name} has an invalid value`;
  }
}

function isHttpUrl(value: unknown): boolean {
  return typeof value === 'string' && /^https?:\/\/[^\s/]+/i.test(value);
}
