using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;

namespace WebUI.Engine.Tests;

/// <summary>Tiny random models of each family, with stories260K's 512-token tokenizer so they can be written as HF folders.</summary>
public static class TinyModels
{
    public static string StoriesDir => SharedModels.Dir("stories260K");

    public static ModelConfig Config(ModelFamily family) => new()
    {
        Family = family, VocabSize = 512, HiddenSize = 32, IntermediateSize = 48, NumLayers = 2, NumHeads = 4,
        NumKvHeads = family == ModelFamily.Gpt2 ? 4 : 2, MaxPositions = 64, RopeTheta = 10000,
        TieWordEmbeddings = family != ModelFamily.Llama, AttentionBias = family == ModelFamily.Qwen2,
        BosTokenId = 1, EosTokenIds = [2],
    };

    public static LoadedModel Create(ModelFamily family, long seed = 7)
    {
        var source = ModelSource.Detect(StoriesDir);
        var tokenizer = TokenizerLoader.FromLlama2c(source.TokenizerPath!, 512);
        return RandomModel.Create(Config(family), tokenizer, source, ComputeDevice.Cpu, seed);
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "webui-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
