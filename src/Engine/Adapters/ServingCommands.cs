namespace WebUI.Engine.Adapters;

/// <summary>
/// The command that serves a base model with a set of adapters on a bigger machine: vLLM, which batches requests for
/// many LoRA adapters together as this studio does, picked per request by the adapter's name as the model.
/// </summary>
public static class ServingCommands
{
    // vLLM accepts these --max-lora-rank values only.
    private static readonly int[] VllmRanks = [1, 8, 16, 32, 64, 128, 256, 320, 512];

    /// <summary>
    /// `vllm serve BASE --enable-lora --lora-modules name=path ... --max-lora-rank R --max-loras N`, with R the
    /// smallest rank vLLM accepts that holds every adapter's and N the number of adapters (all in one batch).
    /// </summary>
    public static string Vllm(string baseModel, IReadOnlyList<(string Name, string Folder)> adapters)
    {
        if (adapters.Count == 0) throw new ArgumentException("name at least one adapter to serve");
        var configs = adapters.Select(a => (a.Name, Config: PeftFormat.ReadConfig(Path.Combine(a.Folder, PeftFormat.ConfigFileName)))).ToList();
        if (configs.FirstOrDefault(c => c.Config.UseDora) is { Name: { } dora })
            throw new ArgumentException($"'{dora}' is a DoRA adapter, which vLLM's LoRA serving does not load; export the model with it merged and serve that");
        int rank = configs.Max(c => c.Config.Rank);
        int maxRank = VllmRanks.FirstOrDefault(r => r >= rank);
        if (maxRank == 0) throw new ArgumentException($"rank {rank} is above vLLM's largest --max-lora-rank ({VllmRanks[^1]})");
        var modules = string.Join(" ", adapters.Select(a => Quote($"{a.Name}={Path.GetFullPath(a.Folder)}")));
        return $"vllm serve {Quote(baseModel)} --enable-lora --lora-modules {modules} --max-lora-rank {maxRank} --max-loras {adapters.Count}";
    }

    // A POSIX shell word: bare when it holds nothing the shell reads, else single-quoted.
    private static string Quote(string word) =>
        word.All(c => char.IsLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '=' or ':' or '+')
            ? word : "'" + word.Replace("'", "'\\''") + "'";
}
