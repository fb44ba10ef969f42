// The KIE.AI image-to-video models this service can drive (reference: kie-video-models.md §2). Each has its
// own input shape; KIE_MODEL picks the default and KIE_MODEL_FALLBACKS the order of the others.

export interface VideoModel {
  id: string;
  /** Seconds of video the model is asked for. */
  durationSeconds: number;
  /** KIE credits per video at the settings below (1 credit = US$0.005), from KIE's price list of 2026-09. */
  priceCredits: number;
  /** Whether the model takes an explicit 9:16; the others follow the shape of the (already 9:16) photo. */
  explicitVertical: boolean;
  buildInput(prompt: string, imageUrl: string): Record<string, unknown>;
}

export const videoModels: readonly VideoModel[] = [
  {
    id: 'kling-2.6/image-to-video',
    durationSeconds: 5,
    priceCredits: 55,
    explicitVertical: false,
    buildInput: (prompt, imageUrl) => ({
      prompt: prompt.slice(0, 1000),
      image_urls: [imageUrl],
      sound: false,
      duration: '5',
    }),
  },
  {
    id: 'bytedance/seedance-1.5-pro',
    durationSeconds: 8,
    priceCredits: 28, // 3.5 per second at 720p
    explicitVertical: true,
    buildInput: (prompt, imageUrl) => ({
      prompt: prompt.slice(0, 2500),
      input_urls: [imageUrl],
      aspect_ratio: '9:16',
      resolution: '720p',
      duration: '8',
    }),
  },
  {
    id: 'wan/2-6-image-to-video',
    durationSeconds: 5,
    priceCredits: 70,
    explicitVertical: false,
    buildInput: (prompt, imageUrl) => ({
      prompt: prompt.slice(0, 5000),
      image_urls: [imageUrl],
      duration: '5',
      resolution: '720p',
    }),
  },
];

export function findVideoModel(id: string): VideoModel | undefined {
  return videoModels.find((model) => model.id === id);
}

/** The registered models in the order to try them: the default first, then the fallbacks, then the rest. */
export function modelOrder(defaultModel: string, fallbacks: readonly string[]): string[] {
  const wanted = [defaultModel, ...fallbacks, ...videoModels.map((model) => model.id)];
  return [...new Set(wanted)].filter((id) => findVideoModel(id));
}
