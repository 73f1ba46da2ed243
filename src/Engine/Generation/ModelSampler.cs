using WebUI.Engine.Loading;

namespace WebUI.Engine.Generation;

/// <summary>
/// Seeded samples of a model's own text, synchronously on the calling torch thread: held-out "general" text for
/// measuring forgetting, or the raw material of synthetic training sets.
/// </summary>
public static class ModelSampler
{
    public static IReadOnlyList<string> Continuations(LoadedModel model, string prompt, int count, GenerationOptions options)
    {
        var ids = model.Tokenizer.Encode(prompt);
        var samples = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            var text = new System.Text.StringBuilder();
            GenerationLoop.Run(model, ids, options with { Seed = (options.Seed ?? 0) + i }, chunk => text.Append(chunk.Text), CancellationToken.None);
            samples.Add(text.ToString());
        }
        return samples;
    }
}
