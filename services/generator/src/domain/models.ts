// The KIE.AI image-to-video models this service can drive (reference: kie-video-models.md §2). Each has its
// own input shape; KIE_MODEL picks the default.

export interface VideoModel {
  id: string;
  /** Seconds of video the model is asked for. */
  durationSeconds: number;
  buildInput(prompt: string, imageUrl: string): Record<string, unknown>;
}

export const videoModels: readonly VideoModel[] = [
  {
    id: 'kling-2.6/image-to-video',
    durationSeconds: 5,
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
