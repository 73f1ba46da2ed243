// Decode speed of real llama.cpp (node-llama-cpp's prebuilt CPU build), for WebUI's bench command.
// Usage: node llama-decode.mjs MODEL.gguf PROMPT_IDS(comma-separated) NEW_TOKENS THREADS
// Prints one JSON line: {"prefill_seconds": s, "decode_tokens_per_second": t} (best of 3 after a warm-up).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, promptIds, count, threads] = process.argv.slice(2);
const prompt = promptIds.split(",").map(Number);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 512, batchSize: 512, threads: Number(threads)});

async function run(tokens) {
    const sequence = context.getSequence();
    const started = performance.now();
    let first = 0, n = 0;
    for await (const _ of sequence.evaluate(prompt, {temperature: 0})) {
        if (n === 0) first = performance.now();
        if (++n >= tokens) break;
    }
    const done = performance.now();
    sequence.dispose();
    return {prefill_seconds: (first - started) / 1000, decode_tokens_per_second: (n - 1) / ((done - first) / 1000)};
}

await run(4);
const runs = [await run(Number(count)), await run(Number(count)), await run(Number(count))];
console.log(JSON.stringify(runs.reduce((a, b) => a.decode_tokens_per_second >= b.decode_tokens_per_second ? a : b)));
await context.dispose();
await model.dispose();
await llama.dispose();
