using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests;

/// <summary>The real pretrained stories260K model: the continuation llama2.c documents, through both loaders.</summary>
public sealed class StoriesGenerationTests
{
    private const string Expected = ", there was a little girl named Lily. She loved to play outside in the park.";

    /// <summary>
    /// The 40 greedy ids after "Once upon a time", saved once (llama.cpp gives the same ids for WebUI's GGUF export):
    /// every speed-up (kernels, int8 decoding, thread policy) must leave them as they are.
    /// </summary>
    private static readonly int[] ReferenceIds =
    [
        432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292,
        411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426,
    ];

    [Fact]
    public async Task Greedy_ids_equal_the_saved_reference_in_fp32_and_with_int8_decoding()
    {
        using var worker = new TorchWorker("test");
        using var model = await worker.Run(() => ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu));
        Assert.Equal(ReferenceIds, (await Generate(worker, model)).Tokens);
        await worker.Run(() => model.Model.UseInt8Inference(true));
        Assert.Equal(ReferenceIds, (await Generate(worker, model)).Tokens);
    }

    [Fact]
    public async Task Greedy_continuation_matches_llama2c_and_survives_conversion_to_hf()
    {
        using var worker = new TorchWorker("test");
        using var llama2c = await worker.Run(() => ModelLoader.Load(TinyModels.StoriesDir, ComputeDevice.Cpu));
        var (text, tokens, finish) = await Generate(worker, llama2c);
        Assert.StartsWith(Expected, text);
        Assert.Equal(FinishReason.Length, finish);

        var dir = Path.Combine(TinyModels.TempDir(), "stories-hf");
        await worker.Run(() => HfModelWriter.Write(llama2c, dir));
        using var hf = await worker.Run(() => ModelLoader.Load(dir, ComputeDevice.Cpu));
        Assert.Equal(ModelFormat.HuggingFace, hf.Source.Format);
        Assert.Equal(llama2c.Tokenizer.Encode("Once upon a time"), hf.Tokenizer.Encode("Once upon a time"));
        var (hfText, hfTokens, _) = await Generate(worker, hf);
        Assert.Equal(tokens, hfTokens);
        Assert.Equal(text, hfText);
    }

    private static Task<(string Text, List<int> Tokens, FinishReason? Finish)> Generate(TorchWorker worker, LoadedModel model) =>
        Decoding.Generate(worker, model, "Once upon a time", GenerationOptions.Greedy(40));
}
