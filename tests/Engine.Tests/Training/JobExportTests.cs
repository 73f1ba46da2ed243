using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using WebUI.Engine.Adapters;
using WebUI.Engine.Tests.Adapters;
using WebUI.Engine.Training;
using YamlDotNet.Serialization;

namespace WebUI.Engine.Tests.Training;

/// <summary>A run exported as an axolotl / LLaMA-Factory job: the YAML parses back to the run's settings, the data is converted, the bytes repeat.</summary>
public sealed class JobExportTests
{
    private readonly string root = TinyModels.TempDir();

    private TrainingOptions Options(string dataset) => new()
    {
        OutputName = "big-run", Method = TrainingMethod.Lora, LearningRate = 2e-4, Epochs = 3, MicroBatchSize = 2, BatchSize = 8, WarmupSteps = 10,
        EvalEvery = 50, SaveEvery = 100, Seed = 7, WeightDecay = 0.01,
        Lora = new LoraOptions { Rank = 16, Alpha = 32, Dropout = 0.05, TargetModules = ["q_proj", "v_proj"], UseRsLora = true },
        Data = new DatasetOptions { DatasetPath = dataset, Cutoff = 512, EvalFraction = 0.1 },
    };

    private string Write(string name, string text)
    {
        var path = Path.Combine(root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Dictionary<object, object> Yaml(string path) => new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(path));

    [Fact]
    public void Raw_text_becomes_completion_rows_and_the_configs_parse_back_to_the_runs_settings()
    {
        var dataset = Write("stories.txt", "Once upon a time.\n\n\nThe end.\n\n\nAnother story.");
        var job = Path.Combine(root, "job");

        var files = JobExport.Write(job, Options(dataset), Path.Combine(root, "no-model-config"));

        var axolotl = Yaml(Path.Combine(job, "axolotl.yaml"));
        Assert.Equal("REPLACE_WITH_BASE_MODEL", axolotl["base_model"]);
        Assert.Equal(("lora", "16", "32", "0.05", "512", "2", "4", "3"), ((string)axolotl["adapter"], (string)axolotl["lora_r"], (string)axolotl["lora_alpha"],
            (string)axolotl["lora_dropout"], (string)axolotl["sequence_len"], (string)axolotl["micro_batch_size"], (string)axolotl["gradient_accumulation_steps"], (string)axolotl["num_epochs"]));
        Assert.Equal(["q_proj", "v_proj"], ((List<object>)axolotl["lora_target_modules"]).Cast<string>());
        Assert.Equal(("0.0002", "cosine", "10", "adamw_torch", "0.01", "7", "0.1", "50", "100", "true"), ((string)axolotl["learning_rate"], (string)axolotl["lr_scheduler"],
            (string)axolotl["warmup_steps"], (string)axolotl["optimizer"], (string)axolotl["weight_decay"], (string)axolotl["seed"], (string)axolotl["val_set_size"],
            (string)axolotl["eval_steps"], (string)axolotl["save_steps"], (string)axolotl["peft_use_rslora"]));
        var entry = (Dictionary<object, object>)((List<object>)axolotl["datasets"])[0];
        Assert.Equal(("data/train.jsonl", "completion", "text"), ((string)entry["path"], (string)entry["type"], (string)entry["field"]));

        var fsdp = Yaml(Path.Combine(job, "axolotl-fsdp.yaml"));
        Assert.Equal(("2", "16"), ((string)fsdp["fsdp_version"], (string)fsdp["lora_r"]));
        Assert.Equal("TRANSFORMER_BASED_WRAP", ((Dictionary<object, object>)fsdp["fsdp_config"])["auto_wrap_policy"]);

        var factory = Yaml(Path.Combine(job, "llamafactory.yaml"));
        Assert.Equal(("pt", "lora", "16", "q_proj,v_proj", "webui_train", "512", "4"), ((string)factory["stage"], (string)factory["finetuning_type"], (string)factory["lora_rank"],
            (string)factory["lora_target"], (string)factory["dataset"], (string)factory["cutoff_len"], (string)factory["gradient_accumulation_steps"]));
        Assert.Equal("text", JsonNode.Parse(File.ReadAllText(Path.Combine(job, "dataset_info.json")))!["webui_train"]!["columns"]!["prompt"]!.GetValue<string>());

        var rows = File.ReadAllLines(Path.Combine(job, "data", "train.jsonl")).Select(l => JsonNode.Parse(l)!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(["Once upon a time.", "The end.", "Another story."], rows);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(job, "data", "manifest.json")))!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(job, "data", "train.jsonl")))), manifest["train.jsonl"]!.GetValue<string>());
        Assert.Contains("deepspeed/zero3.json", files);
        Assert.Contains("overlap 256", File.ReadAllText(Path.Combine(job, "README.md"))); // a setting with no equivalent is listed
        Assert.StartsWith("#!/usr/bin/env bash", File.ReadAllText(Path.Combine(job, "launch.sh")));
    }

    [Fact]
    public void Chats_keep_their_messages_and_train_on_the_assistant_and_a_job_is_the_same_bytes_twice()
    {
        var dataset = Write("chats.jsonl", """
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
            {"conversations": [{"from": "human", "value": "Name?"}, {"from": "gpt", "value": "Sue."}]}
            """);
        JobExport.Write(Path.Combine(root, "a"), Options(dataset), root);
        JobExport.Write(Path.Combine(root, "b"), Options(dataset), root);

        var entry = (Dictionary<object, object>)((List<object>)Yaml(Path.Combine(root, "a", "axolotl.yaml"))["datasets"])[0];
        Assert.Equal(("chat_template", "messages"), ((string)entry["type"], (string)entry["field_messages"]));
        Assert.Equal(["assistant"], ((List<object>)entry["roles_to_train"]).Cast<string>());
        var second = JsonNode.Parse(File.ReadAllLines(Path.Combine(root, "a", "data", "train.jsonl"))[1])!["messages"]!.AsArray();
        Assert.Equal([("user", "Name?"), ("assistant", "Sue.")], second.Select(m => (m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())));
        Assert.Equal(TestAdapters.Snapshot(Path.Combine(root, "a")), TestAdapters.Snapshot(Path.Combine(root, "b")));
    }

    [Fact]
    public void An_existing_job_is_kept_unless_overwritten()
    {
        var dataset = Write("stories.txt", "Once upon a time.");
        var job = Path.Combine(root, "job");
        JobExport.Write(job, Options(dataset), root);
        var first = TestAdapters.Snapshot(job);

        Assert.Throws<IOException>(() => JobExport.Write(job, Options(dataset) with { Epochs = 9 }, root));
        Assert.Equal(first, TestAdapters.Snapshot(job));
        JobExport.Write(job, Options(dataset) with { Epochs = 9 }, root, overwrite: true);
        Assert.Single(Directory.GetDirectories(root, "job.backup-*"));
    }

    [Fact]
    public void Rows_of_any_other_format_go_rendered_with_the_prompt_untrained_as_here()
    {
        var rows = Write("rows.json", """[{"question": "Why?", "answer": "Because."}, {"question": "No marker"}]""");
        var format = Write("qa-format.json", """{"question,answer": "Q: %question%\nA: %answer%", "question": "%question%"}""");
        var options = Options(rows) with { Data = Options(rows).Data with { FormatPath = format, TrainOnlyAfter = "A:" } };
        var job = Path.Combine(root, "qa");
        JobExport.Write(job, options, root);

        var lines = File.ReadAllLines(Path.Combine(job, "data", "train.jsonl"));
        var row = Assert.Single(lines); // the row without the marker is dropped, as training drops it
        var json = System.Text.Json.Nodes.JsonNode.Parse(row)!;
        Assert.Equal("Q: Why?\nA:", json["prompt"]!.GetValue<string>());
        Assert.Equal(" Because.", json["response"]!.GetValue<string>());
        Assert.False(json["segments"]![0]!["label"]!.GetValue<bool>());
        Assert.True(json["segments"]![1]!["label"]!.GetValue<bool>());

        var dataset = (List<object>)Yaml(Path.Combine(job, "axolotl.yaml"))["datasets"];
        Assert.Equal("input_output", ((Dictionary<object, object>)dataset[0])["type"]);
        Assert.Equal("empty", Yaml(Path.Combine(job, "llamafactory.yaml"))["template"]);
        var info = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(job, "dataset_info.json")))!;
        Assert.Equal("response", info["webui_train"]!["columns"]!["response"]!.GetValue<string>());
        Assert.DoesNotContain("train only after", File.ReadAllText(Path.Combine(job, "README.md")));
    }

    [Fact]
    public void A_model_downloaded_from_the_hub_or_saved_with_its_id_is_named_by_that_id()
    {
        var dataset = Write("stories.txt", "Once upon a time.");
        var downloaded = Directory.CreateDirectory(Path.Combine(root, "owner_model")).FullName;
        File.WriteAllText(Path.Combine(downloaded, Loading.HubDownloader.SourceFileName), """{"repo_id": "owner/model", "revision": "main"}""");
        JobExport.Write(Path.Combine(root, "from-hub"), Options(dataset), downloaded);
        Assert.Equal("owner/model", Yaml(Path.Combine(root, "from-hub", "axolotl.yaml"))["base_model"]);

        var saved = Directory.CreateDirectory(Path.Combine(root, "saved")).FullName;
        File.WriteAllText(Path.Combine(saved, "config.json"), """{"_name_or_path": "HuggingFaceTB/SmolLM2-135M"}""");
        JobExport.Write(Path.Combine(root, "from-config"), Options(dataset), saved);
        Assert.Equal("HuggingFaceTB/SmolLM2-135M", Yaml(Path.Combine(root, "from-config", "llamafactory.yaml"))["model_name_or_path"]);
    }

    /// <summary>What WebUI trains on in each example of a built dataset: the target tokens, in order.</summary>
    private static List<int[]> TrainedTokens(BuiltDataset data) =>
        [.. data.Train.Concat(data.Eval).Select(e => e.InputIds.Where((_, i) => e.Targets[i]).ToArray())];

    private static BuiltDataset Build(DatasetOptions options) =>
        DatasetBuilder.Build(options with { EvalFraction = 0, Cutoff = 256, AddEos = false }, TinyModels.Create(WebUI.Engine.Modeling.ModelFamily.Llama).Tokenizer);

    [Fact]
    public void The_converted_data_gives_the_same_trained_on_tokens_as_the_original()
    {
        var job = Path.Combine(root, "same");

        // Raw text: the rows joined at the hard cut are the text WebUI cuts.
        var text = Write("raw.txt", "Once upon a time, Tom ran.\n\n\nThe end of it.\n\n\nAnother story about a cat.");
        JobExport.Write(job, Options(text), root);
        var pieces = File.ReadAllLines(Path.Combine(job, "data", "train.jsonl")).Select(l => JsonNode.Parse(l)!["text"]!.GetValue<string>());
        var rejoined = Write("rejoined.txt", string.Join("\n\n\n", pieces));
        Assert.Equal(TrainedTokens(Build(new DatasetOptions { DatasetPath = text })), TrainedTokens(Build(new DatasetOptions { DatasetPath = rejoined })));

        // Chats in ShareGPT's from/value form become role/content messages that train the same assistant turns.
        var chats = Write("chats.json", """[{"conversations": [{"from": "human", "value": "Who is Tom?"}, {"from": "gpt", "value": "Tom is a cat."}]}]""");
        var chatml = WebUI.Engine.Generation.ChatTemplate.BuiltIn.Single(t => t.Name == "ChatML");
        JobExport.Write(job, Options(chats), root, overwrite: true);
        var converted = Write("chats-converted.jsonl", File.ReadAllText(Path.Combine(job, "data", "train.jsonl")));
        Assert.Equal(TrainedTokens(Build(new DatasetOptions { DatasetPath = chats, ChatTemplate = chatml })),
            TrainedTokens(Build(new DatasetOptions { DatasetPath = converted, ChatTemplate = chatml })));

        // Rendered rows: their segments, tokenized as WebUI tokenizes a prompt and its response, are what it trains on.
        var rows = Write("qa.json", """[{"question": "Why?", "answer": "Because it rained."}, {"question": "Who?", "answer": "Tom."}]""");
        var format = Write("qa-format.json", """{"question,answer": "Q: %question%\nA: %answer%"}""");
        var formatted = new DatasetOptions { DatasetPath = rows, FormatPath = format, TrainOnlyAfter = "A:" };
        JobExport.Write(job, Options(rows) with { Data = Options(rows).Data with { FormatPath = format, TrainOnlyAfter = "A:" } }, root, overwrite: true);
        var tokenizer = new SegmentTokenizer(TinyModels.Create(WebUI.Engine.Modeling.ModelFamily.Llama).Tokenizer);
        var fromSegments = File.ReadAllLines(Path.Combine(job, "data", "train.jsonl")).Select(line =>
        {
            var segments = JsonNode.Parse(line)!["segments"]!.AsArray()
                .Select(s => new WebUI.Engine.Generation.TemplateSegment(s!["text"]!.GetValue<string>(), s["label"]!.GetValue<bool>())).ToArray();
            var (ids, trained) = tokenizer.Encode(segments);
            return ids.Where((_, i) => trained[i]).ToArray();
        }).ToList();
        Assert.Equal(TrainedTokens(Build(formatted)), fromSegments);
        Assert.All(fromSegments, t => Assert.NotEmpty(t));
    }
}
