using WebUI.Engine.Generation;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests;

/// <summary>The real pretrained stories260K model: the continuation llama2.c documents, through both loaders.</summary>
public sealed class StoriesGenerationTests
{
    private const string Expected = ", there was a little girl named Lily. She loved to play outside in the park.";

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
