namespace WebUI.Engine.Adapters;

/// <summary>
/// The commands that serve a base model with a set of adapters elsewhere: vLLM, which batches requests for many LoRA
/// adapters together as this studio does, picked per request by the adapter's name as the model; and llama.cpp's
/// llama-server, on GGUF files, with each request choosing its adapters and their scales.
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

    /// <summary>
    /// `llama-server -m BASE.gguf --lora A.gguf ... --lora-init-without-apply`, preceded by the commands that write
    /// the GGUF files this studio has not written yet (the base when it is not a .gguf, each adapter as
    /// loras/NAME/NAME.gguf). With --lora-init-without-apply no adapter applies until a request asks for it by index.
    /// </summary>
    public static string LlamaServer(string baseModel, IReadOnlyList<(string Name, string Folder)> adapters)
    {
        if (adapters.Count == 0) throw new ArgumentException("name at least one adapter to serve");
        foreach (var (name, folder) in adapters)
            if (PeftFormat.ReadConfig(Path.Combine(folder, PeftFormat.ConfigFileName)).UseDora)
                throw new ArgumentException($"'{name}' is a DoRA adapter, which llama.cpp cannot apply; export the model with it merged and serve that");
        const string webui = "dotnet run --project src/WebUI -c Release --";
        var lines = new List<string>();
        // A .gguf, a folder holding one, or anything else converted beside itself.
        var baseGguf = Loading.ModelSource.IsGguf(baseModel) ? baseModel
            : Directory.Exists(baseModel) && Loading.ModelSource.GgufFiles(baseModel) is [var only] ? only
            : Path.TrimEndingDirectorySeparator(baseModel) + ".gguf";
        if (!File.Exists(baseGguf)) lines.Add($"{webui} convert --model {Quote(baseModel)} --output {Quote(baseGguf)} --type f16");
        var ggufs = adapters.Select(a => (a.Name, Path: Path.Combine(Path.GetFullPath(a.Folder), a.Name + ".gguf"), a.Folder)).ToList();
        foreach (var (_, path, folder) in ggufs.Where(g => !File.Exists(g.Path)))
            lines.Add($"{webui} export-adapter --model {Quote(baseModel)} --lora {Quote(Path.GetFullPath(folder))} --output {Quote(path)}");
        lines.Add($"llama-server -m {Quote(baseGguf)} {string.Join(" ", ggufs.Select(g => $"--lora {Quote(g.Path)}"))} --lora-init-without-apply");
        lines.Add($"# a request picks adapters by index ({string.Join(", ", ggufs.Select((g, i) => $"{i} = {g.Name}"))}): \"lora\": [{{\"id\": 0, \"scale\": 1.0}}]");
        return string.Join("\n", lines);
    }

    // A POSIX shell word: bare when it holds nothing the shell reads, else single-quoted.
    private static string Quote(string word) =>
        word.All(c => char.IsLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '=' or ':' or '+')
            ? word : "'" + word.Replace("'", "'\\''") + "'";
}
