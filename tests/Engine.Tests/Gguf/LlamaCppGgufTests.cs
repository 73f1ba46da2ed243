using WebUI.Engine.Adapters;
using WebUI.Engine.Generation;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;
using WebUI.Engine.Tests.Adapters;

namespace WebUI.Engine.Tests;

/// <summary>
/// WebUI's GGUF files checked against real llama.cpp (node-llama-cpp 3.21.1) on the pretrained stories260K: the
/// model export, the LoRA export applied to it, the round trip, and the files llama.cpp's own quantizer makes.
/// </summary>
public sealed class LlamaCppGgufTests
{
    private const string Prompt = "Once upon a time";
    private const int Tokens = 40;

    private static async Task<(LoadedModel Stories, string F32Gguf, TorchWorker Worker)> StoriesAndExport()
    {
        var worker = new TorchWorker("gguf-test");
        var stories = await worker.Run(() => ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu));
        var path = Path.Combine(TinyModels.TempDir(), "stories260K-f32.gguf");
        await worker.Run(() => GgufExport.WriteModel(stories, path, GgmlType.F32));
        return (stories, path, worker);
    }

    private static async Task<List<int>> WebUiGreedy(TorchWorker worker, LoadedModel model, IReadOnlyDictionary<string, string>? adapters = null) =>
        (await Decoding.Generate(worker, model, Prompt, GenerationOptions.Greedy(Tokens), adapters)).Tokens;

    /// <summary>The base model's own stories, sampled with seeds: text it did not see in these tests' prompts.</summary>
    private static async Task<string> HeldOutStories(TorchWorker worker, LoadedModel model)
    {
        var stories = new List<string>();
        foreach (var (start, seed) in new[] { ("Tom had a big red", 1L), ("One day, a little bird", 2L), ("The sun was hot and", 3L) })
        {
            var options = new GenerationOptions { Temperature = 0.8f, MaxNewTokens = 150, Seed = seed };
            stories.Add(start + (await Decoding.Generate(worker, model, start, options)).Text);
        }
        return string.Join("\n", stories);
    }

    [Fact]
    public async Task Llama_cpp_continues_the_export_as_webui_does_and_the_export_loads_back()
    {
        var (stories, gguf, worker) = await StoriesAndExport();
        using var _ = worker;
        using var __ = stories;
        var expected = await WebUiGreedy(worker, stories);
        Assert.StartsWith(", there was a little girl named Lily.", stories.Tokenizer.Decode(expected));

        var (prompt, tokens) = LlamaCpp.Greedy(gguf, Prompt, Tokens);
        Assert.Equal(stories.Tokenizer.Encode(Prompt), prompt);
        Assert.Equal(expected, tokens);

        using var reloaded = await worker.Run(() => ModelLoader.Load(gguf, ComputeDevice.Cpu));
        Assert.Equal(expected, await WebUiGreedy(worker, reloaded));
    }

    [Fact]
    public async Task Llama_cpp_applies_the_gguf_lora_as_webui_applies_the_adapter()
    {
        var (stories, gguf, worker) = await StoriesAndExport();
        using var _ = worker;
        using var __ = stories;
        var folder = Path.Combine(TinyModels.TempDir(), "story-lora");
        var loraGguf = Path.Combine(Path.GetDirectoryName(gguf)!, "story-lora.gguf");
        await worker.Run(() =>
        {
            var options = new LoraOptions { Rank = 4, Alpha = 2, TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] };
            using var adapter = TestAdapters.Random(stories, seed: 5, options, name: "story-lora");
            adapter.Save(folder);
            GgufExport.WriteAdapter(stories, adapter, loraGguf, gguf);
        });

        var withAdapter = await WebUiGreedy(worker, stories, new Dictionary<string, string> { ["story-lora"] = folder });
        Assert.NotEqual(await WebUiGreedy(worker, stories), withAdapter); // the adapter matters
        var (_, tokens) = LlamaCpp.Greedy(gguf, Prompt, Tokens, loraGguf);
        Assert.Equal(withAdapter, tokens);
        var modelfile = File.ReadAllText(GgufExport.ModelfilePath(loraGguf));
        Assert.Contains("FROM ./stories260K-f32.gguf\n", modelfile);
        Assert.Contains("ADAPTER ./story-lora.gguf\n", modelfile);
    }

    [Theory]
    [InlineData(7, GgmlType.Q8_0, 0.02)]
    [InlineData(2, GgmlType.Q4_0, 0.10)]
    [InlineData(3, GgmlType.Q4_1, 0.10)]
    [InlineData(8, GgmlType.Q5_0, 0.10)]
    [InlineData(9, GgmlType.Q5_1, 0.10)]
    public async Task Files_quantized_by_llama_cpp_load_with_perplexity_near_f32_and_agree_with_it(int ftype, GgmlType type, double perplexityMargin)
    {
        var (stories, gguf, worker) = await StoriesAndExport();
        using var _ = worker;
        using var __ = stories;
        var quantized = Path.Combine(Path.GetDirectoryName(gguf)!, $"stories260K-{type}.gguf");
        LlamaCpp.QuantizeModel(gguf, quantized, ftype);
        using (var file = GgufFile.Open(quantized)) Assert.Contains(file.TensorList, t => t.Type == type);

        using var model = await worker.Run(() => ModelLoader.Load(quantized, ComputeDevice.Cpu));
        var text = await HeldOutStories(worker, stories);
        var (before, after) = await worker.Run(() => (Perplexity.Compute(stories, text, 256, 128), Perplexity.Compute(model, text, 256, 128)));
        Assert.InRange(after.Perplexity / before.Perplexity, 1 - perplexityMargin, 1 + perplexityMargin);

        // Token by token on llama.cpp's own continuation, so that one near-tie (llama.cpp rounds activations to 8 bits
        // for quantized dot products) is one disagreement, not the end of the comparison.
        var (prompt, theirs) = LlamaCpp.Greedy(quantized, Prompt, Tokens);
        var ours = await worker.Run(() => NextTokens(model, [.. prompt, .. theirs[..^1]])[(prompt.Length - 1)..]);
        AssertAgreeOn36Of40(ours, theirs);
    }

    /// <summary>At least 36 in 40 of llama.cpp's tokens (it may stop early at an end-of-generation token).</summary>
    private static void AssertAgreeOn36Of40(int[] ours, int[] theirs)
    {
        Assert.True(theirs.Length >= 20, $"llama.cpp gave only {theirs.Length} tokens");
        Assert.True(ours.Zip(theirs).Count(p => p.First == p.Second) * 40 >= 36 * theirs.Length,
            $"WebUI {string.Join(",", ours)}\nllama.cpp {string.Join(",", theirs)}");
    }

    /// <summary>The greedy next token after every position of <paramref name="ids"/>.</summary>
    private static int[] NextTokens(LoadedModel model, int[] ids)
    {
        var logits = GgufModelTests.Logits(model, ids);
        int vocab = logits.Length / ids.Length;
        return Enumerable.Range(0, ids.Length).Select(t => Array.IndexOf(logits, logits.AsSpan(t * vocab, vocab).ToArray().Max(), t * vocab) - t * vocab).ToArray();
    }

    [Theory]
    [InlineData(15, GgmlType.Q4_K)]
    [InlineData(17, GgmlType.Q5_K)]
    [InlineData(18, GgmlType.Q6_K)]
    public async Task K_quant_files_made_by_llama_cpp_decode_as_ggml_decodes_them_and_agree_with_it(int ftype, GgmlType type)
    {
        // K-quants take rows of 256, wider than stories260K's: a random Llama as wide, with the stories tokenizer.
        var config = TinyModels.Config(WebUI.Engine.Modeling.ModelFamily.Llama) with { HiddenSize = 256, IntermediateSize = 512, NumHeads = 4, NumKvHeads = 2, MaxPositions = 128 };
        using var worker = new TorchWorker("gguf-test");
        using var random = await worker.Run(() => RandomModel.Create(config, TinyModels.Create(WebUI.Engine.Modeling.ModelFamily.Llama).Tokenizer,
            ModelSource.Detect(TinyModels.StoriesDir), ComputeDevice.Cpu, seed: 9));
        var dir = TinyModels.TempDir();
        var (f32, quantized) = (Path.Combine(dir, "wide-f32.gguf"), Path.Combine(dir, $"wide-{type}.gguf"));
        await worker.Run(() => GgufExport.WriteModel(random, f32, GgmlType.F32));
        LlamaCpp.QuantizeModel(f32, quantized, ftype);

        using (var file = GgufFile.Open(quantized))
        {
            var kQuants = file.TensorList.Where(t => t.Type == type).ToList();
            Assert.NotEmpty(kQuants);
            foreach (var info in kQuants)
            {
                var ggml = LlamaCpp.Dequantize(type, file.RawBytes(info.Name).ToArray(), (int)info.Count);
                using var decoded = file.Read(info.Name);
                Assert.Equal(ggml, decoded.data<float>().ToArray());
            }
        }
        using var model = await worker.Run(() => ModelLoader.Load(quantized, ComputeDevice.Cpu));
        var (prompt, theirs) = LlamaCpp.Greedy(quantized, Prompt, Tokens);
        var ours = await worker.Run(() => NextTokens(model, [.. prompt, .. theirs[..^1]])[(prompt.Length - 1)..]);
        AssertAgreeOn36Of40(ours, theirs);
    }

    [Theory]
    [InlineData(WebUI.Engine.Modeling.ModelFamily.Qwen2)]
    [InlineData(WebUI.Engine.Modeling.ModelFamily.Gpt2)]
    [InlineData(WebUI.Engine.Modeling.ModelFamily.Llama)]
    public async Task Llama_cpp_runs_the_export_of_each_family_with_a_byte_level_tokenizer_as_webui_does(WebUI.Engine.Modeling.ModelFamily family)
    {
        // Random weights with SmolLM2's real byte-level BPE tokenizer: the qwen2 and gpt2 layouts and the gpt2 vocabulary.
        var tokenizerDir = SharedModels.Dir("smollm2-135m-instruct-tokenizer");
        var tokenizer = TokenizerLoader.FromFolder(tokenizerDir);
        var config = TinyModels.Config(family) with { VocabSize = tokenizer.VocabSize, HiddenSize = 64, NumHeads = 4, MaxPositions = 128, BosTokenId = tokenizer.BosId, EosTokenIds = tokenizer.EosIds };
        using var worker = new TorchWorker("gguf-test");
        using var model = await worker.Run(() => RandomModel.Create(config, tokenizer, ModelSource.Detect(tokenizerDir), ComputeDevice.Cpu, seed: 4));
        var gguf = Path.Combine(TinyModels.TempDir(), $"tiny-{family}.gguf");
        await worker.Run(() => GgufExport.WriteModel(model, gguf, GgmlType.F32));

        const string prompt = "Hello, what's 12 plus 30?";
        var (ids, theirs) = LlamaCpp.Greedy(gguf, prompt, Tokens);
        Assert.Equal(tokenizer.Encode(prompt), ids);
        var ours = await worker.Run(() => NextTokens(model, [.. ids, .. theirs[..^1]])[(ids.Length - 1)..]);
        AssertAgreeOn36Of40(ours, theirs);
    }
}
