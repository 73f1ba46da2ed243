// Regenerates the expected renders (NAME.cases.json) of the chat templates in this folder with @huggingface/jinja,
// the Jinja implementation Hugging Face's JavaScript libraries use. Not run by the tests; run it by hand after
// changing a template or a case:
//
//   mkdir -p /tmp/jinja-ref && cd /tmp/jinja-ref && npm i -E @huggingface/jinja@0.5.13
//   NODE_PATH=/tmp/jinja-ref/node_modules node tests/Engine.Tests/Templates/Fixtures/render-reference.mjs
//   python3 tests/Engine.Tests/Templates/Fixtures/check-python.py --fix
//
// (the second step puts back Python's render where @huggingface/jinja differs from it; see README.md).
// Each render gets exactly the variables ChatTemplate.Render gives: messages (role and content only),
// add_generation_prompt, tools = null, and bos_token and eos_token ("" where the model has none); strftime_now reads
// the fixed time below instead of the clock (the C# test fixes TemplateLimits.Clock to the same time).
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const modules = process.env.NODE_PATH ?? "/tmp/jinja-ref/node_modules";
const require = createRequire(join(modules, "x.js"));
const { Template } = require("@huggingface/jinja");
const jinjaVersion = JSON.parse(readFileSync(join(modules, "@huggingface/jinja/package.json"), "utf8")).version;
const here = dirname(fileURLToPath(import.meta.url));

// A single-digit day, so that %d's zero padding shows. The library's own strftime_now reads new Date(), so Date is
// pinned to this local time; it names months with Intl's default locale, which must be English as in Python's C locale.
const now = { year: 2025, month: 3, day: 7, hour: 9, minute: 5, second: 0 };
const RealDate = Date;
const fixed = () => new RealDate(now.year, now.month - 1, now.day, now.hour, now.minute, now.second);
globalThis.Date = class extends RealDate {
  constructor(...args) { if (args.length) super(...args); else super(fixed().getTime()); }
  static now() { return fixed().getTime(); }
};
if (!new Intl.DateTimeFormat().resolvedOptions().locale.startsWith("en")) throw new Error("run with an English default locale (LANG=en_US.UTF-8)");
const pad2 = (n) => String(n).padStart(2, "0");

const m = (role, content) => ({ role, content });
const sys = m("system", "You are a terse assistant.");
const chat = [m("user", "Hi"), m("assistant", "Hello! How can I help?"), m("user", "What is 2+2?")];

// Every template gets these; some templates reject some of them, and then the reference error is the expectation.
const common = {
  system_user_assistant_user: { messages: [sys, ...chat], add_generation_prompt: true },
  user_only: { messages: [m("user", "Hi")], add_generation_prompt: true },
  multi_turn_without_system: { messages: chat, add_generation_prompt: true },
  multi_turn_without_generation_prompt: { messages: chat, add_generation_prompt: false },
  ends_with_assistant: { messages: [sys, m("user", "Hi"), m("assistant", "Hello!")], add_generation_prompt: false },
  padded_unicode_and_quotes: {
    messages: [m("user", "  Héllo \"quoted\" 'single' \\ back 🙂\n"), m("assistant", " Sure!\n\nLine two.\t ")],
    add_generation_prompt: true,
  },
};

const tools = { messages: [m("user", "Weather in Paris?"), m("assistant", "Let me check."), m("tool", "{\"temp\": 21}"), m("tool", "sunny"), m("user", "Thanks")], add_generation_prompt: true };
const alternation = { messages: [m("user", "Hi"), m("user", "Again")], add_generation_prompt: true };
const assistantFirst = { messages: [sys, m("assistant", "Hello"), m("user", "Hi")], add_generation_prompt: true };

const models = {
  "smollm2": { bos: "<|im_start|>", eos: "<|im_end|>", extra: {} },
  "smollm3": {
    bos: null, eos: "<|im_end|>", extra: {
      tool_results: tools,
      system_no_think: { messages: [m("system", "Be brief. /no_think"), m("user", "Hi"), m("assistant", "Hello!"), m("user", "Bye")], add_generation_prompt: true },
      system_think: { messages: [m("system", "/think"), m("user", "Hi")], add_generation_prompt: true },
      system_override: { messages: [m("system", "/system_override You are Bob.  "), m("user", "Hi")], add_generation_prompt: true },
      assistant_leading_newlines: { messages: [m("system", "/no_think"), m("user", "Hi"), m("assistant", "\n\nHello!")], add_generation_prompt: false },
    },
  },
  "qwen2.5": {
    bos: null, eos: "<|im_end|>", extra: {
      tool_results: tools,
      tool_first: { messages: [m("tool", "orphan result")], add_generation_prompt: false },
      second_system: { messages: [sys, m("user", "Hi"), m("system", "Now be verbose.")], add_generation_prompt: true },
    },
  },
  "qwen3": {
    bos: null, eos: "<|im_end|>", extra: {
      tool_results: tools,
      thinking_in_history: {
        messages: [m("user", "Hi"), m("assistant", "<think>\nThe user greets.\n</think>\n\nHello!"), m("user", "2+2?"), m("assistant", "<think>Add them.</think>4")],
        add_generation_prompt: false,
      },
      thinking_then_new_question: {
        messages: [m("user", "Hi"), m("assistant", "<think>\nGreeting.\n</think>\n\nHello!"), m("user", "Bye")],
        add_generation_prompt: true,
      },
      thinking_after_tool_response: {
        messages: [m("user", "Weather?"), m("assistant", "<think>Need the tool.</think>Calling."), m("tool", "sunny"), m("assistant", "<think>It is sunny.</think>\nSunny.")],
        add_generation_prompt: false,
      },
      user_tool_response_text: {
        messages: [m("user", "Weather?"), m("assistant", "<think>x</think>Calling."), m("user", "<tool_response>sunny</tool_response>"), m("assistant", "<think>y</think>Sunny.")],
        add_generation_prompt: false,
      },
    },
  },
  "llama3.1": {
    bos: "<|begin_of_text|>", eos: "<|eot_id|>", extra: {
      tool_results: tools,
      padded_system: { messages: [m("system", "\n  Be brief.  \n"), m("user", "Hi")], add_generation_prompt: true },
      ipython_role: { messages: [m("user", "Run it"), m("ipython", "42")], add_generation_prompt: true },
    },
  },
  "llama3.2": {
    bos: "<|begin_of_text|>", eos: "<|eot_id|>", extra: {
      tool_results: tools,
      padded_system: { messages: [m("system", "\n  Be brief.  \n"), m("user", "Hi")], add_generation_prompt: true },
    },
  },
  "phi3": { bos: "<s>", eos: "<|endoftext|>", extra: { other_role_skipped: { messages: [m("user", "Hi"), m("tool", "ignored"), m("assistant", "Ok")], add_generation_prompt: false } } },
  "phi4": { bos: "<|endoftext|>", eos: "<|im_end|>", extra: { other_role_skipped: { messages: [m("user", "Hi"), m("tool", "ignored")], add_generation_prompt: true } } },
  "phi4-mini": { bos: "<|endoftext|>", eos: "<|endoftext|>", extra: { tool_role: { messages: [m("user", "Hi"), m("tool", "result")], add_generation_prompt: false } } },
  "gemma2": { bos: "<bos>", eos: "<eos>", extra: { roles_not_alternating: alternation, assistant_first: { messages: [m("assistant", "Hello"), m("user", "Hi")], add_generation_prompt: true } } },
  "gemma3": { bos: "<bos>", eos: "<eos>", extra: { roles_not_alternating: alternation, system_then_assistant: assistantFirst } },
  "mistral-instruct": {
    bos: "<s>", eos: "</s>", extra: {
      roles_not_alternating: alternation,
      system_then_assistant: assistantFirst,
      tool_result_without_call_id: { messages: [m("user", "Weather?"), m("tool", "sunny")], add_generation_prompt: true },
      unknown_role: { messages: [m("user", "Hi"), m("developer", "x")], add_generation_prompt: true },
    },
  },
};

for (const [name, model] of Object.entries(models)) {
  const source = readFileSync(join(here, `${name}.jinja`), "utf8");
  const template = new Template(source);
  const cases = [];
  for (const [caseName, { messages, add_generation_prompt }] of Object.entries({ ...common, ...model.extra })) {
    const variables = {
      messages: structuredClone(messages), add_generation_prompt, tools: null,
      bos_token: model.bos ?? "", eos_token: model.eos ?? "",
    };
    const entry = { name: caseName, add_generation_prompt, messages };
    try {
      entry.expected = template.render(variables);
    } catch (e) {
      entry.error = String(e.message);
    }
    cases.push(entry);
  }
  const fixture = {
    template: `${name}.jinja`,
    reference: `@huggingface/jinja ${jinjaVersion}`,
    now: `${now.year}-${pad2(now.month)}-${pad2(now.day)}T${pad2(now.hour)}:${pad2(now.minute)}:${pad2(now.second)}`,
    bos_token: model.bos,
    eos_token: model.eos,
    cases,
  };
  writeFileSync(join(here, `${name}.cases.json`), JSON.stringify(fixture, null, 2) + "\n");
  console.log(`${name}: ${cases.length} cases, ${cases.filter((c) => c.error).length} errors`);
}
