using System.CommandLine;
using System.Globalization;
using WebUI.Engine;
using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Cli;

/// <summary>`generate --model PATH --prompt TEXT [--lora NAME[:WEIGHT],...] ...`: the continuation on stdout, one stats line on stderr.</summary>
public static class GenerateCommand
{
    public static Command Create(SharedOptions shared)
    {
        var defaults = new GenerationOptions();
        var prompt = CliOptions.Required("--prompt", "Text to continue");
        var maxNewTokens = CliOptions.Number("--max-new-tokens", "Most tokens to generate", defaults.MaxNewTokens);
        var temperature = CliOptions.Number("--temperature", "Sampling temperature; 0 is greedy", defaults.Temperature);
        var topP = CliOptions.Number("--top-p", "Nucleus sampling: smallest set of tokens whose probabilities reach P", defaults.TopP);
        var topK = CliOptions.Number("--top-k", "Sample among the K likeliest tokens; 0 for all", defaults.TopK);
        var minP = CliOptions.Number("--min-p", "Drop tokens less likely than P times the likeliest", defaults.MinP);
        var repetitionPenalty = CliOptions.Number("--repetition-penalty", "Penalty on tokens already in the text; 1 for none", defaults.RepetitionPenalty);
        var seed = CliOptions.OptionalNumber<long>("--seed", "Sampling seed", "random");
        var dtype = CliOptions.Text("--dtype", "Decode weights: fp32, or int8 (Q8_0 blocks, a quarter of the bytes to read per token; the prompt stays fp32)", "fp32");
        var command = new Command("generate", "Continue a prompt: the continuation on stdout, one stats line on stderr")
        {
            shared.Model, prompt, shared.Lora, maxNewTokens, temperature, topP, topK, minP, repetitionPenalty, seed, dtype,
        };
        command.SetAction(parsed =>
        {
            var options = new GenerationOptions
            {
                MaxNewTokens = parsed.GetValue(maxNewTokens), Temperature = parsed.GetValue(temperature), TopP = parsed.GetValue(topP),
                TopK = parsed.GetValue(topK), MinP = parsed.GetValue(minP), RepetitionPenalty = parsed.GetValue(repetitionPenalty), Seed = parsed.GetValue(seed),
            };
            var int8 = parsed.GetValue(dtype) switch
            {
                "fp32" => false,
                "int8" => true,
                var other => throw new UsageException($"--dtype must be fp32 or int8 (got '{other}')"),
            };
            return RunAsync(parsed.GetRequiredValue(shared.Model), parsed.GetRequiredValue(prompt), parsed.GetValue(shared.Lora), options, int8);
        });
        return command;
    }

    private static async Task<int> RunAsync(string modelPath, string prompt, string? loras, GenerationOptions options, bool int8)
    {
        options.Validate();
        using var worker = new TorchWorker("generate");
        using var model = await worker.Run(() =>
        {
            var loaded = ModelLoader.Load(modelPath);
            if (int8) loaded.Model.UseInt8Inference(true);
            return loaded;
        });
        using var adapterCache = new AdapterCache(CliAdapters.FolderOf, capacity: 8);
        await using var scheduler = new GenerationScheduler(worker, model, adapterCache, new SchedulerLimits());
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var stdout = Console.Out;
        GenerationStats? stats = null;
        var request = new GenerationRequest(model.Tokenizer.Encode(prompt), options, CliAdapters.Parse(loras));
        await foreach (var chunk in scheduler.GenerateAsync(request, cancel.Token))
        {
            stdout.Write(chunk.Text);
            stats ??= chunk.Stats;
        }
        stdout.Flush();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"prompt_tokens={stats!.PromptTokens} generated_tokens={stats.GeneratedTokens} prefill_tokens_per_s={stats.PrefillTokensPerSecond:F1} decode_tokens_per_s={stats.DecodeTokensPerSecond:F1}"));
        return 0;
    }
}
