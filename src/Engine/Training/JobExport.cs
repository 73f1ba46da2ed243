using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;

namespace WebUI.Engine.Training;

/// <summary>
/// A run's settings and dataset as a folder that axolotl or LLaMA-Factory runs on a bigger machine: axolotl.yaml,
/// llamafactory.yaml with dataset_info.json, DeepSpeed ZeRO-2/3 configs, launch.sh, the dataset converted into data/
/// with a SHA-256 manifest, and a README that says how to run it, how to bring it back, and which settings have no
/// equivalent there. The same settings give the same bytes.
/// </summary>
public static class JobExport
{
    private const string Placeholder = "REPLACE_WITH_BASE_MODEL";

    /// <summary>Writes the job; an existing folder is refused unless <paramref name="overwrite"/>, and then kept as a backup.</summary>
    public static IReadOnlyList<string> Write(string folder, TrainingOptions options, string baseModelFolder, bool overwrite = false)
    {
        options.Validate();
        var data = Convert(options.Data);
        var baseModel = HubIdOf(baseModelFolder);
        var unmapped = Unmapped(options, data);
        var axolotl = Axolotl(options, data, baseModel);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["axolotl.yaml"] = axolotl,
            ["axolotl-fsdp.yaml"] = axolotl + Fsdp,
            ["llamafactory.yaml"] = LlamaFactory(options, data, baseModel),
            ["dataset_info.json"] = DatasetInfo(data),
            ["deepspeed/zero2.json"] = DeepSpeed(stage: 2),
            ["deepspeed/zero3.json"] = DeepSpeed(stage: 3),
            ["launch.sh"] = Launch(),
            [$"data/{data.TrainFile}"] = data.Train,
        };
        if (data.EvalFile is { } evalFile) files[$"data/{evalFile}"] = data.Eval!;
        files["data/manifest.json"] = Manifest(files.Where(f => f.Key.StartsWith("data/", StringComparison.Ordinal)));
        files["README.md"] = Readme(options, baseModel, baseModelFolder, unmapped);
        AtomicFolder.Write(folder, AtomicFolder.OnExisting(overwrite), staging =>
        {
            foreach (var (path, text) in files)
            {
                var target = Path.Combine(staging, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllText(target, text.ReplaceLineEndings("\n"), new UTF8Encoding(false));
            }
        });
        return [.. files.Keys];
    }

    /// <summary>
    /// The dataset as both tools read it: raw text as rows of "text" split at the hard cut, chats as "messages", alpaca
    /// rows as they are, and other formatted rows <paramref name="Rendered"/> through their format file into a prompt
    /// (not trained on: up to and including Train Only After) and a response, as this studio trains them.
    /// </summary>
    private sealed record ConvertedData(DatasetKind Kind, string TrainFile, string Train, string? EvalFile, string? Eval, bool Rendered = false);

    private static ConvertedData Convert(DatasetOptions options)
    {
        var kind = DatasetBuilder.Detect(options.DatasetPath);
        var paths = new[] { options.DatasetPath, options.EvalDatasetPath }.OfType<string>();
        bool rendered = kind == DatasetKind.Formatted && paths.SelectMany(DatasetFile.ReadRows).Any(row => !IsAlpaca(row));
        var format = rendered ? FormatFile.Load(options.FormatPath ?? throw new ArgumentException("a formatted dataset needs its format file to be exported")) : null;
        string Rows(string path) => kind switch
        {
            DatasetKind.RawText => JsonLines(DatasetFile.ReadText(path).Split(options.HardCut, StringSplitOptions.RemoveEmptyEntries)
                .Select(piece => new JsonObject { ["text"] = piece.Trim('\n') })),
            DatasetKind.Chat => JsonLines(DatasetFile.ReadRows(path).Select(row => new JsonObject { ["messages"] = Messages(row) })),
            _ when format is not null => JsonLines(DatasetFile.ReadRows(path).Select(row => Rendered(format.Render(row), options.TrainOnlyAfter)).OfType<JsonObject>()),
            _ => JsonLines(DatasetFile.ReadRows(path).Select(Alpaca)),
        };
        return new ConvertedData(kind, "train.jsonl", Rows(options.DatasetPath),
            options.EvalDatasetPath is null ? null : "eval.jsonl", options.EvalDatasetPath is { } eval ? Rows(eval) : null, rendered);
    }

    /// <summary>
    /// A rendered row for both tools at once: axolotl's input_output segments and LLaMA-Factory's prompt and response
    /// columns. Without Train Only After all of it is trained on; a row without the marker is dropped, as in training here.
    /// </summary>
    private static JsonObject? Rendered(string text, string? trainOnlyAfter)
    {
        if (FormattedRowEncoder.SplitAtMarker(text, trainOnlyAfter) is not var (prompt, response)) return null;
        var segments = new JsonArray();
        if (prompt.Length > 0) segments.Add(new JsonObject { ["text"] = prompt, ["label"] = false });
        segments.Add(new JsonObject { ["text"] = response, ["label"] = true });
        return new JsonObject { ["segments"] = segments, ["prompt"] = prompt, ["response"] = response };
    }

    private static JsonArray Messages(DatasetRow row)
    {
        var list = row.Value.TryGetProperty("messages", out var m) ? m : row.Value.GetProperty("conversations");
        return new JsonArray([.. list.EnumerateArray().Select(message => (JsonNode)new JsonObject
        {
            ["role"] = message.TryGetProperty("role", out var role) ? role.GetString() : RoleOf(message.GetProperty("from").GetString()),
            ["content"] = message.TryGetProperty("content", out var content) ? content.GetString() : message.GetProperty("value").GetString(),
        })]);
    }

    private static string? RoleOf(string? from) => from switch { "human" => "user", "gpt" => "assistant", _ => from };

    private static bool IsAlpaca(DatasetRow row) =>
        row.Value.TryGetProperty("instruction", out _) && row.Value.TryGetProperty("output", out _);

    // Rows in the alpaca shape both tools know, passed on as they are.
    private static JsonObject Alpaca(DatasetRow row) => new()
    {
        ["instruction"] = row.Value.GetProperty("instruction").GetString(),
        ["input"] = row.Value.TryGetProperty("input", out var input) ? input.GetString() : "",
        ["output"] = row.Value.GetProperty("output").GetString(),
    };

    private static string JsonLines(IEnumerable<JsonObject> rows) => string.Concat(rows.Select(r => r.ToJsonString() + "\n"));

    private static string Axolotl(TrainingOptions o, ConvertedData data, string baseModel)
    {
        var yaml = new Yaml();
        yaml.Comment(baseModel == Placeholder ? "base_model: the model's Hugging Face id or folder (the run used a local folder; see README.md)" : null);
        yaml.Add("base_model", baseModel);
        yaml.Add("seed", o.Seed);
        yaml.Open("datasets");
        yaml.Item(DatasetEntry(data, "train"));
        yaml.Close();
        if (data.EvalFile is not null)
        {
            yaml.Open("test_datasets");
            yaml.Item(DatasetEntry(data, "eval"));
            yaml.Close();
        }
        else yaml.Add("val_set_size", o.Data.EvalFraction);
        if (o.Method == TrainingMethod.Lora)
        {
            yaml.Add("adapter", "lora");
            yaml.Add("lora_r", o.Lora.Rank);
            yaml.Add("lora_alpha", o.Lora.Alpha);
            yaml.Add("lora_dropout", o.Lora.Dropout);
            if (o.Lora.TargetModules is { } targets) yaml.Add("lora_target_modules", targets);
            else yaml.Add("lora_target_linear", true);
            if (o.Lora.UseRsLora) yaml.Add("peft_use_rslora", true);
            if (o.Lora.UseDora) yaml.Add("peft_use_dora", true);
        }
        yaml.Add("sequence_len", o.Data.Cutoff);
        yaml.Add("micro_batch_size", o.MicroBatchSize);
        yaml.Add("gradient_accumulation_steps", o.GradientAccumulation);
        yaml.Add("num_epochs", o.Epochs);
        yaml.Add("learning_rate", o.LearningRate);
        yaml.Add("lr_scheduler", Scheduler(o.Scheduler));
        yaml.Add("warmup_steps", o.WarmupSteps);
        yaml.Add("optimizer", "adamw_torch");
        yaml.Add("weight_decay", o.WeightDecay);
        yaml.Add("max_grad_norm", o.MaxGradNorm);
        if (o.EvalEvery > 0) yaml.Add("eval_steps", o.EvalEvery);
        if (o.SaveEvery > 0) yaml.Add("save_steps", o.SaveEvery);
        yaml.Add("gradient_checkpointing", o.GradientCheckpointing);
        yaml.Add("bf16", "auto");
        yaml.Add("output_dir", $"./outputs/{o.OutputName}");
        yaml.Comment("deepspeed: deepspeed/zero2.json   # several GPUs: ZeRO-2 shards optimizer state and gradients; zero3.json shards the weights too");
        yaml.Comment("or FSDP2 instead of DeepSpeed: axolotl-fsdp.yaml");
        return yaml.ToString();
    }

    // The FSDP2 variant: each GPU holds a shard of the weights, gradients and optimizer state, wrapped per decoder layer.
    private const string Fsdp = """
        fsdp_version: 2
        fsdp_config:
          offload_params: false
          cpu_ram_efficient_loading: true
          auto_wrap_policy: TRANSFORMER_BASED_WRAP
          state_dict_type: FULL_STATE_DICT
          reshard_after_forward: true

        """;

    private static List<(string, object)> DatasetEntry(ConvertedData data, string split)
    {
        var path = $"data/{(split == "train" ? data.TrainFile : data.EvalFile)}";
        return data.Kind switch
        {
            DatasetKind.RawText => [("path", path), ("ds_type", "json"), ("type", "completion"), ("field", "text")],
            DatasetKind.Chat => [("path", path), ("ds_type", "json"), ("type", "chat_template"), ("field_messages", "messages"), ("roles_to_train", new[] { "assistant" })],
            _ when data.Rendered => [("path", path), ("ds_type", "json"), ("type", "input_output")],
            _ => [("path", path), ("ds_type", "json"), ("type", "alpaca")],
        };
    }

    private static string LlamaFactory(TrainingOptions o, ConvertedData data, string baseModel)
    {
        var yaml = new Yaml();
        yaml.Add("model_name_or_path", baseModel);
        yaml.Add("stage", data.Kind == DatasetKind.RawText ? "pt" : "sft");
        yaml.Add("do_train", true);
        yaml.Add("finetuning_type", o.Method == TrainingMethod.Lora ? "lora" : "full");
        if (o.Method == TrainingMethod.Lora)
        {
            yaml.Add("lora_rank", o.Lora.Rank);
            yaml.Add("lora_alpha", o.Lora.Alpha);
            yaml.Add("lora_dropout", o.Lora.Dropout);
            yaml.Add("lora_target", o.Lora.TargetModules is { } targets ? string.Join(",", targets) : "all");
            if (o.Lora.UseRsLora) yaml.Add("use_rslora", true);
            if (o.Lora.UseDora) yaml.Add("use_dora", true);
        }
        yaml.Add("dataset_dir", "data");
        yaml.Add("dataset", "webui_train");
        if (data.Rendered) yaml.Add("template", "empty"); // the rows are already rendered through the run's format
        if (data.EvalFile is not null) yaml.Add("eval_dataset", "webui_eval");
        else if (o.Data.EvalFraction > 0) yaml.Add("val_size", o.Data.EvalFraction);
        yaml.Add("cutoff_len", o.Data.Cutoff);
        yaml.Add("per_device_train_batch_size", o.MicroBatchSize);
        yaml.Add("gradient_accumulation_steps", o.GradientAccumulation);
        yaml.Add("num_train_epochs", o.Epochs);
        yaml.Add("learning_rate", o.LearningRate);
        yaml.Add("lr_scheduler_type", Scheduler(o.Scheduler));
        yaml.Add("warmup_steps", o.WarmupSteps);
        yaml.Add("optim", "adamw_torch");
        yaml.Add("weight_decay", o.WeightDecay);
        yaml.Add("max_grad_norm", o.MaxGradNorm);
        if (o.EvalEvery > 0) { yaml.Add("eval_strategy", "steps"); yaml.Add("eval_steps", o.EvalEvery); }
        if (o.SaveEvery > 0) yaml.Add("save_steps", o.SaveEvery);
        yaml.Add("seed", o.Seed);
        yaml.Add("bf16", true);
        yaml.Add("output_dir", $"outputs/{o.OutputName}");
        yaml.Comment("deepspeed: deepspeed/zero2.json   # several GPUs; deepspeed/zero3.json shards the weights too");
        return yaml.ToString();
    }

    private static string DatasetInfo(ConvertedData data)
    {
        JsonObject Entry(string file) => data.Kind switch
        {
            DatasetKind.RawText => new JsonObject { ["file_name"] = file, ["columns"] = new JsonObject { ["prompt"] = "text" } },
            DatasetKind.Chat => new JsonObject
            {
                ["file_name"] = file, ["formatting"] = "sharegpt", ["columns"] = new JsonObject { ["messages"] = "messages" },
                ["tags"] = new JsonObject { ["role_tag"] = "role", ["content_tag"] = "content", ["user_tag"] = "user", ["assistant_tag"] = "assistant", ["system_tag"] = "system" },
            },
            _ when data.Rendered => new JsonObject { ["file_name"] = file, ["columns"] = new JsonObject { ["prompt"] = "prompt", ["response"] = "response" } },
            _ => new JsonObject { ["file_name"] = file },
        };
        var info = new JsonObject { ["webui_train"] = Entry(data.TrainFile) };
        if (data.EvalFile is { } eval) info["webui_eval"] = Entry(eval);
        return info.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string DeepSpeed(int stage) => new JsonObject
    {
        ["train_batch_size"] = "auto", ["train_micro_batch_size_per_gpu"] = "auto", ["gradient_accumulation_steps"] = "auto",
        ["gradient_clipping"] = "auto", ["bf16"] = new JsonObject { ["enabled"] = "auto" },
        ["zero_optimization"] = stage == 2
            ? new JsonObject { ["stage"] = 2, ["overlap_comm"] = true, ["contiguous_gradients"] = true, ["allgather_bucket_size"] = 500000000, ["reduce_bucket_size"] = 500000000 }
            : new JsonObject { ["stage"] = 3, ["overlap_comm"] = true, ["contiguous_gradients"] = true, ["stage3_gather_16bit_weights_on_model_save"] = true },
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static string Launch() => """
        #!/usr/bin/env bash
        # Install first (CUDA GPUs): pip install axolotl deepspeed   (or: pip install llamafactory deepspeed)
        # One node:      GPUS=4 ./launch.sh            Several nodes: NNODES=2 NODE_RANK=0 MASTER_ADDR=host0 GPUS=8 ./launch.sh
        # LLaMA-Factory instead of axolotl: TRAINER=llamafactory ./launch.sh
        set -euo pipefail
        cd "$(dirname "$0")"
        GPUS="${GPUS:-1}"
        if [ "${TRAINER:-axolotl}" = llamafactory ]; then
          FORCE_TORCHRUN=1 NNODES="${NNODES:-1}" NODE_RANK="${NODE_RANK:-0}" MASTER_ADDR="${MASTER_ADDR:-127.0.0.1}" \
            MASTER_PORT="${MASTER_PORT:-29500}" NPROC_PER_NODE="$GPUS" llamafactory-cli train llamafactory.yaml
        elif [ "${NNODES:-1}" -gt 1 ]; then
          torchrun --nnodes "$NNODES" --node_rank "$NODE_RANK" --nproc_per_node "$GPUS" \
            --rdzv_backend c10d --rdzv_endpoint "${MASTER_ADDR}:${MASTER_PORT:-29500}" -m axolotl.cli.train "${CONFIG:-axolotl.yaml}"
        else
          accelerate launch --num_processes "$GPUS" -m axolotl.cli.train "${CONFIG:-axolotl.yaml}"   # CONFIG=axolotl-fsdp.yaml for FSDP2
        fi

        """;

    private static string Manifest(IEnumerable<KeyValuePair<string, string>> files) => new JsonObject(files.Select(f =>
        KeyValuePair.Create(f.Key["data/".Length..], (JsonNode?)System.Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(f.Value.ReplaceLineEndings("\n")))))))
        .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    // Settings of this studio that neither axolotl nor LLaMA-Factory has: listed, never silently dropped.
    private static List<string> Unmapped(TrainingOptions o, ConvertedData data)
    {
        var list = new List<string>();
        var d = o.Data;
        if (d.EffectiveOverlap > 0) list.Add($"overlap {d.EffectiveOverlap}: raw text is cut into windows without overlap there");
        if (d.TrainOnlyAfter is not null && !data.Rendered) list.Add($"train only after \"{d.TrainOnlyAfter}\": not expressible; alpaca rows train on the output only");
        if (!d.AddEos && !data.Rendered) list.Add("no EOS token: both tools add one");
        if (d.AddEos && data.Rendered) list.Add("EOS after each example: rendered rows (input_output, template empty) get none; append the model's EOS text to each response if wanted");
        if (d.ChatTemplate is { } template) list.Add($"chat template '{template.Name}': they use the model's own chat template");
        if (o.StopAtLoss is { } stop) list.Add($"stop at loss {stop}: no such option; watch the loss or set max_steps");
        if (o.Keep == KeptWeights.Best && (d.EvalDatasetPath is not null || d.EvalFraction > 0)) list.Add("keep the best evaluation's weights: load_best_model_at_end is a Trainer argument they do not set from these configs");
        if (o.ReferenceTextPath is not null) list.Add("forgetting on a reference text: import the result and inspect it here");
        if (o.StartFromAdapterPath is not null) list.Add($"starting from adapter {Path.GetFileName(o.StartFromAdapterPath)}: copy it to the job and set lora_model_dir (axolotl) or adapter_name_or_path (LLaMA-Factory)");
        if (o.Method == TrainingMethod.Full && o.FreezeEmbeddings) list.Add("frozen embeddings: use unfrozen_parameters (axolotl) or freeze_trainable_layers (LLaMA-Factory)");
        return list;
    }

    private static string Readme(TrainingOptions o, string baseModel, string baseModelFolder, List<string> unmapped)
    {
        var text = new StringBuilder();
        text.Append($"# Training job: {o.OutputName}\n\n");
        text.Append($"Exported from WebUI: {(o.Method == TrainingMethod.Lora ? $"LoRA rank {o.Lora.Rank}" : "full fine-tuning")} on {Path.GetFileName(o.Data.DatasetPath)}, ");
        text.Append($"{o.Epochs} epochs, micro batch {o.MicroBatchSize} × {o.GradientAccumulation} accumulation steps per GPU.\n\n");
        if (baseModel == Placeholder)
            text.Append($"The run used the local folder `{baseModelFolder}`: copy it to the training machine, or put its Hugging Face id in place of `{Placeholder}` in both YAML files.\n\n");
        text.Append("## Run\n\n```sh\nGPUS=4 ./launch.sh                      # axolotl on one node\nTRAINER=llamafactory GPUS=4 ./launch.sh # LLaMA-Factory\n```\n\n");
        text.Append("For several GPUs uncomment the `deepspeed:` line in the YAML (ZeRO-2; ZeRO-3 for models that do not fit one GPU). ");
        text.Append("The number of optimizer steps is divided by the number of GPUs, since each takes its own micro batches.\n\n");
        text.Append($"## Bring it back\n\n```sh\ndotnet run --project src/WebUI -c Release -- import-run outputs/{o.OutputName}\n```\n\n");
        text.Append("It copies the adapter (or model) into WebUI and its loss curves into the Runs tab.\n\n## Not carried over\n\n");
        text.Append(unmapped.Count == 0 ? "Every setting has an equivalent.\n" : string.Concat(unmapped.Select(u => $"- {u}\n")));
        return text.ToString();
    }

    private static string Scheduler(SchedulerKind kind) => kind switch
    {
        SchedulerKind.Cosine => "cosine",
        SchedulerKind.Linear => "linear",
        SchedulerKind.ConstantWithWarmup => "constant_with_warmup",
        _ => "constant",
    };

    // A Hugging Face id: where the studio downloaded the model from, else its config.json's _name_or_path ("owner/name"), else the placeholder.
    private static string HubIdOf(string folder)
    {
        var config = Path.Combine(folder, "config.json");
        var id = Loading.HubDownloader.RepoIdOf(folder)
            ?? (File.Exists(config) ? JsonNode.Parse(File.ReadAllText(config))?["_name_or_path"]?.GetValue<string>() : null);
        return id is not null && System.Text.RegularExpressions.Regex.IsMatch(id, @"^[\w.-]+/[\w.-]+$") ? id : Placeholder;
    }

    /// <summary>The small YAML subset the configs need: scalars, flow lists, and one level of block lists of maps.</summary>
    private sealed class Yaml
    {
        private readonly StringBuilder text = new();
        private string indent = "";

        public void Comment(string? comment) { if (comment is not null) text.Append($"{indent}# {comment}\n"); }

        public void Add(string key, object value) => text.Append($"{indent}{key}: {Scalar(value)}\n");

        public void Open(string key) { text.Append($"{key}:\n"); indent = "  "; }

        public void Close() => indent = "";

        public void Item(IReadOnlyList<(string Key, object Value)> fields)
        {
            for (int i = 0; i < fields.Count; i++)
                text.Append($"{(i == 0 ? "  - " : "    ")}{fields[i].Key}: {Scalar(fields[i].Value)}\n");
        }

        private static string Scalar(object value) => value switch
        {
            bool b => b ? "true" : "false",
            string s => JsonSerializer.Serialize(s), // a JSON string is a YAML double-quoted scalar
            IEnumerable<string> list => "[" + string.Join(", ", list.Select(v => JsonSerializer.Serialize(v))) + "]",
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            _ => throw new ArgumentException($"no YAML form for {value.GetType().Name}"),
        };

        public override string ToString() => text.ToString();
    }
}
