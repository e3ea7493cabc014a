/** Worker thread of WorkerImageEmbedder: one MobileNetV2Embedder, requests answered in order. */
import { parentPort, workerData } from 'node:worker_threads';
import { isKaleidoError } from '../../core/errors.js';
import {
  MobileNetV2Embedder,
  type EmbedderRequest,
  type EmbedderResponse,
  type MobileNetEmbedderOptions,
} from './embedder.js';

const embedder = new MobileNetV2Embedder(workerData as MobileNetEmbedderOptions);
const port = parentPort;
let chain: Promise<unknown> = Promise.resolve();

port?.on('message', (request: EmbedderRequest) => {
  chain = chain.then(async () => {
    let response: EmbedderResponse;
    try {
      if (request.type === 'init') {
        await embedder.init();
        response = { id: request.id, ok: true };
      } else {
        const embeddings = await embedder.embed(
          request.images.map((i) => ({
            data: i.data,
            width: i.width,
            height: i.height,
            channels: 3 as const,
          })),
        );
        response = { id: request.id, ok: true, embeddings };
      }
    } catch (e) {
      response = {
        id: request.id,
        ok: false,
        code: isKaleidoError(e) ? e.code : 'ERR_INTERNAL',
        message: (e as Error)?.message ?? String(e),
      };
    }
    port.postMessage(
      response,
      response.ok && response.embeddings ? [response.embeddings.buffer as ArrayBuffer] : [],
    );
  });
});
