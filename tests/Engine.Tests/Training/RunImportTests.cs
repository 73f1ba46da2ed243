using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using WebUI.Engine.Studio;
using WebUI.Engine.Tests.Adapters;
using WebUI.Engine.Training;

namespace WebUI.Engine.Tests.Training;

/// <summary>Runs trained elsewhere come back: the adapter into loras/, log_history into training_log.json, nothing copied from a bad folder.</summary>
public sealed class RunImportTests : IDisposable
{
    private readonly LoadedModel model = TinyModels.Create(ModelFamily.Llama);
    private readonly StudioPaths paths = new(TinyModels.TempDir());
    private readonly string source = Path.Combine(TinyModels.TempDir(), "lora-out");

    // As a Hugging Face Trainer writes it: train logs, an eval log, and the closing summary (no "loss" there).
    private const string TrainerState = """
        {"best_metric": null, "epoch": 2.0, "global_step": 20, "log_history": [
          {"epoch": 0.5, "grad_norm": 1.25, "learning_rate": 0.0002, "loss": 2.3125, "step": 10},
          {"epoch": 0.5, "eval_loss": 2.125, "eval_runtime": 1.5, "eval_samples_per_second": 40.0, "step": 10},
          {"epoch": 1.0, "grad_norm": 0.75, "learning_rate": 0.0001, "loss": 1.875, "num_input_tokens_seen": 40960, "step": 20},
          {"epoch": 1.0, "step": 20, "total_flos": 1234.0, "train_loss": 2.09375, "train_runtime": 30.5}
        ], "max_steps": 20, "num_train_epochs": 2}
        """;

    public RunImportTests()
    {
        paths.EnsureFolders();
        using var adapter = TestAdapters.Random(model, seed: 4, name: "lora-out");
        adapter.Save(source);
        File.WriteAllText(Path.Combine(source, RunImport.TrainerStateFileName), TrainerState);
        File.WriteAllBytes(Path.Combine(source, "optimizer.pt"), new byte[64]);
        File.WriteAllText(Path.Combine(source, "README.md"), "trained with axolotl");
    }

    public void Dispose() => model.Dispose();

    [Fact]
    public void An_adapter_comes_into_loras_with_its_curves_and_without_the_optimizer_state()
    {
        var run = RunImport.Import(source, paths, "big-run");

        var folder = Path.Combine(paths.Loras, "big-run");
        Assert.Equal(("adapter", folder, 2, 1), (run.Kind, run.Destination, run.TrainPoints, run.EvalPoints));
        Assert.True(File.Exists(Path.Combine(folder, "README.md")));
        Assert.False(File.Exists(Path.Combine(folder, "optimizer.pt")));
        var log = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "training_log.json")))!;
        Assert.Equal([(10L, 2.3125), (20L, 1.875)], Points(log["train_curve"]!, "loss"));
        Assert.Equal(40960, log["train_curve"]![1]!["tokens"]!.GetValue<long>()); // where the trainer counted them
        Assert.Null(log["train_curve"]![0]!["tokens"]);
        Assert.Equal([(10L, 2.125)], Points(log["eval_curve"]!, "loss"));
        Assert.Equal([(10L, 0.0002), (20L, 0.0001)], Points(log["learning_rates"]!, "learning_rate"));
        Assert.Equal(20, log["steps"]!.GetValue<long>());
        Assert.Equal(source, log["imported_from"]!["path"]!.GetValue<string>());
        using var loaded = LoraAdapter.Load(folder, model.Model); // it works like a local one
        Assert.Equal(TestAdapters.Snapshot(source)["adapter_model.safetensors"], File.ReadAllBytes(Path.Combine(folder, "adapter_model.safetensors")));
    }

    [Fact]
    public void Only_checkpoints_means_the_newest_one()
    {
        var run = Path.Combine(TinyModels.TempDir(), "run");
        foreach (var (step, seed) in new[] { (50, 5L), (100, 6L), (9, 7L) })
        {
            using var adapter = TestAdapters.Random(model, seed, name: "c");
            adapter.Save(Path.Combine(run, $"checkpoint-{step}"));
        }
        File.WriteAllText(Path.Combine(run, "checkpoint-100", RunImport.TrainerStateFileName), TrainerState);

        var imported = RunImport.Import(run, paths);

        Assert.Equal(Path.Combine(paths.Loras, "run"), imported.Destination);
        Assert.Equal(File.ReadAllBytes(Path.Combine(run, "checkpoint-100", "adapter_model.safetensors")), File.ReadAllBytes(Path.Combine(imported.Destination, "adapter_model.safetensors")));
        Assert.Equal(2, imported.TrainPoints);
    }

    [Fact]
    public void A_truncated_trainer_state_is_named_and_nothing_is_copied()
    {
        File.WriteAllText(Path.Combine(source, RunImport.TrainerStateFileName), TrainerState[..120]);

        var error = Assert.Throws<InvalidModelException>(() => RunImport.Import(source, paths, "big-run"));

        Assert.Contains(Path.Combine(source, RunImport.TrainerStateFileName), error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(paths.Loras));
    }

    [Fact]
    public void A_folder_without_an_adapter_or_a_model_is_refused()
    {
        var empty = Directory.CreateDirectory(Path.Combine(TinyModels.TempDir(), "logs-only")).FullName;
        File.WriteAllText(Path.Combine(empty, RunImport.TrainerStateFileName), TrainerState);

        var error = Assert.Throws<InvalidModelException>(() => RunImport.Import(empty, paths));

        Assert.Contains("no adapter", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(paths.Loras));
        Assert.Empty(Directory.EnumerateFileSystemEntries(paths.Models));
    }

    [Fact]
    public void An_existing_name_is_kept_unless_overwritten_and_then_backed_up()
    {
        RunImport.Import(source, paths, "big-run");
        var first = TestAdapters.Snapshot(Path.Combine(paths.Loras, "big-run"));

        Assert.Throws<IOException>(() => RunImport.Import(source, paths, "big-run"));
        Assert.Equal(first, TestAdapters.Snapshot(Path.Combine(paths.Loras, "big-run")));
        Assert.Throws<ArgumentException>(() => RunImport.Import(source, paths, "../escape"));

        RunImport.Import(source, paths, "big-run", overwrite: true);
        Assert.Single(Directory.GetDirectories(paths.Loras, "big-run.backup-*"));
    }

    [Fact]
    public void The_vllm_command_serves_every_adapter_with_the_rank_vllm_accepts()
    {
        var small = Path.Combine(TinyModels.TempDir(), "small one");
        using (var adapter = TestAdapters.Random(model, seed: 8, new LoraOptions { Rank = 4 }, name: "small")) adapter.Save(small);
        using (var adapter = TestAdapters.Random(model, seed: 9, new LoraOptions { Rank = 12 }, name: "wide")) adapter.Save(Path.Combine(paths.Loras, "wide"));

        var command = ServingCommands.Vllm("HuggingFaceTB/SmolLM2-135M-Instruct", [("small", small), ("wide", Path.Combine(paths.Loras, "wide"))]);

        Assert.Equal($"vllm serve HuggingFaceTB/SmolLM2-135M-Instruct --enable-lora --lora-modules 'small={small}' wide={Path.Combine(paths.Loras, "wide")} --max-lora-rank 16 --max-loras 2", command);
    }

    [Fact]
    public void The_llama_server_command_names_the_gguf_files_and_the_commands_that_still_have_to_write_them()
    {
        var models = TinyModels.TempDir();
        var baseGguf = Path.Combine(models, "base.gguf");
        GgufExport.WriteModel(model, baseGguf, GgmlType.F32);
        var (ready, pending) = (Path.Combine(paths.Loras, "ready"), Path.Combine(paths.Loras, "pending"));
        using (var adapter = TestAdapters.Random(model, seed: 3, name: "ready"))
        {
            adapter.Save(ready);
            GgufExport.WriteAdapter(model, adapter, Path.Combine(ready, "ready.gguf"), baseGguf);
        }
        using (var adapter = TestAdapters.Random(model, seed: 4, name: "pending")) adapter.Save(pending);

        var lines = ServingCommands.LlamaServer(baseGguf, [("ready", ready), ("pending", pending)]).Split('\n');

        Assert.Equal($"dotnet run --project src/WebUI -c Release -- export-adapter --model {baseGguf} --lora {pending} --output {Path.Combine(pending, "pending.gguf")}", lines[0]);
        Assert.Equal($"llama-server -m {baseGguf} --lora {Path.Combine(ready, "ready.gguf")} --lora {Path.Combine(pending, "pending.gguf")} --lora-init-without-apply", lines[1]);
        Assert.StartsWith("# a request picks adapters by index (0 = ready, 1 = pending)", lines[2]);
        Assert.StartsWith("dotnet run --project src/WebUI -c Release -- convert --model", ServingCommands.LlamaServer(models + "/hf-model", [("ready", ready)]));
    }

    private static List<(long, double)> Points(JsonNode curve, string value) =>
        [.. curve.AsArray().Select(p => (p!["step"]!.GetValue<long>(), p[value]!.GetValue<double>()))];
}
