// Greedy continuation by real llama.cpp (node-llama-cpp's prebuilt CPU build), for the GGUF tests.
// Usage: node llama-greedy.mjs MODEL.gguf PROMPT TOKENS [LORA.gguf]
// Prints one JSON line: {"prompt": [ids], "tokens": [ids]}; the prompt gets BOS when the model's metadata asks for it.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, prompt, count, loraPath] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({
    contextSize: 256, threads: 1,
    lora: loraPath ? {adapters: [{filePath: loraPath, scale: 1}]} : undefined,
});
const sequence = context.getSequence();
let input = model.tokenize(prompt);
if (model.tokens.shouldPrependBosToken && model.tokens.bos != null) input = [model.tokens.bos, ...input];
const tokens = [];
for await (const token of sequence.evaluate(input, {temperature: 0})) {
    tokens.push(token);
    if (tokens.length >= Number(count)) break;
}
console.log(JSON.stringify({prompt: input, tokens}));
await context.dispose();
await model.dispose();
await llama.dispose();
