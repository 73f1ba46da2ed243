using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using WebUI.Engine.Loading;
using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Datasets;

/// <summary>
/// What the dataset tests share: real tokenizers from shared/models, the repository's training/formats files, a
/// temporary folder for dataset files, and decoding helpers that keep every byte (no stripped dummy-prefix space).
/// </summary>
public abstract class DatasetFixture : IDisposable
{
    private static readonly Lazy<ITextTokenizer> Tok512Lazy =
        new(() => TokenizerLoader.FromLlama2c(Path.Combine(SharedModels.Dir("stories260K"), "tok512.bin"), 512));
    private static readonly Lazy<ITextTokenizer> SmolLm2Lazy =
        new(() => TokenizerLoader.FromFolder(SharedModels.Dir("smollm2-135m-instruct-tokenizer")));

    protected static ITextTokenizer Tok512 => Tok512Lazy.Value;
    protected static ITextTokenizer SmolLm2 => SmolLm2Lazy.Value;

    protected readonly string Temp = Directory.CreateTempSubdirectory("dataset-tests-").FullName;

    public void Dispose() => Directory.Delete(Temp, recursive: true);

    /// <summary>A file of training/formats in this repository.</summary>
    protected static string Format(string name) => Path.Combine(RepoRoot(), "training", "formats", name);

    protected string WriteText(string name, string content)
    {
        var path = Path.Combine(Temp, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>The rows as a .json list, or one per line for a .jsonl name.</summary>
    protected string WriteRows(string name, params object[] rows) => WriteText(name, name.EndsWith(".jsonl")
        ? string.Join("\n", rows.Select(r => JsonSerializer.Serialize(r))) + "\n"
        : JsonSerializer.Serialize(rows));

    /// <summary>The exact text of the ids: their bytes joined, so a stray space shows; special tokens add nothing.</summary>
    protected static string TextOf(ITextTokenizer tokenizer, IEnumerable<int> ids) =>
        Encoding.UTF8.GetString(ids.SelectMany(id => tokenizer.TokenBytes(id).ToArray()).ToArray());

    protected static int[] TrainableIds(TrainingExample example) => [.. example.InputIds.Where((_, i) => example.Targets[i])];
    protected static int[] MaskedIds(TrainingExample example) => [.. example.InputIds.Where((_, i) => !example.Targets[i])];

    private static string RepoRoot([CallerFilePath] string here = "")
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(here)!); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "training", "formats"))) return dir.FullName;
        throw new DirectoryNotFoundException($"training/formats not found above {here}");
    }
}
