using TorchSharp.Modules;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Adapters;

/// <summary>
/// A LoRA adapter: per projection a pair A [r, in], B [out, r] adding scale · B(A(x)) to its output, and for DoRA a
/// magnitude [out] per projection. It owns its tensors but never touches the base model; <see cref="AdapterStack"/>
/// attaches it. Saved and loaded as PEFT folders.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    private readonly IReadOnlyList<Parameter> parameters;
    // A frozen DoRA adapter's k = m / ‖W + s·B·A‖ by (module, scale): a decode step re-activates adapters every step.
    private readonly Dictionary<(string Path, double Scale), Tensor> frozenMagnitudeScales = [];
    private bool disposed;

    private LoraAdapter(string name, AdapterConfig config, IReadOnlyList<(string Path, Parameter A, Parameter B, Parameter? Magnitude)> weights)
    {
        Name = name;
        Config = config;
        Weights = weights.ToDictionary(w => w.Path, w => ((Tensor)w.A, (Tensor)w.B));
        Magnitudes = weights.Where(w => w.Magnitude is not null).ToDictionary(w => w.Path, w => (Tensor)w.Magnitude!);
        parameters = [.. weights.SelectMany(w => w.Magnitude is null ? new[] { w.A, w.B } : [w.A, w.B, w.Magnitude])];
    }

    public string Name { get; }
    public AdapterConfig Config { get; }
    public double Scale => Config.Scale;
    /// <summary>A [r, in] and B [out, r] by HF module path (e.g. model.layers.0.self_attn.q_proj).</summary>
    public IReadOnlyDictionary<string, (Tensor A, Tensor B)> Weights { get; }
    /// <summary>DoRA's magnitude [out] by module path; empty for plain LoRA.</summary>
    public IReadOnlyDictionary<string, Tensor> Magnitudes { get; }

    /// <summary>
    /// DoRA's k = m / ‖W + s·B·A‖ for a module at a scale (adapter weight × <see cref="Scale"/>); kept while the
    /// adapter lives when it is frozen, since then it never changes. Null for plain LoRA and for a trainable adapter,
    /// which recomputes it every pass.
    /// </summary>
    internal Tensor? FrozenMagnitudeScale(string path, Tensor baseWeight, double scale)
    {
        if (!Magnitudes.TryGetValue(path, out var magnitude) || magnitude.requires_grad) return null;
        lock (frozenMagnitudeScales)
        {
            if (!frozenMagnitudeScales.TryGetValue((path, scale), out var k))
            {
                var (a, b) = Weights[path];
                using (inference_mode(false))
                    k = DoraMath.MagnitudeScale(baseWeight, a, b, scale, magnitude).DetachFromDisposeScope();
                frozenMagnitudeScales[(path, scale)] = k;
            }
            return k;
        }
    }

    /// <summary>
    /// A new adapter for <paramref name="model"/> initialised as PEFT does: A ~ kaiming-uniform(a=√5), B = 0, so it
    /// starts as a no-op. Both require grad and match the model's device and dtype. The seed makes A reproducible.
    /// </summary>
    public static LoraAdapter CreateTrainable(string name, CausalLM model, LoraOptions options, long seed, string? baseModel)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options.Validate();
        var targets = LoraTargets.Resolve(model, options.TargetModules);
        using var generator = new Generator((ulong)seed);
        var weights = MakeWeights(targets, requiresGrad: true, target =>
        {
            // kaiming_uniform_(a=√5) on [r, in] is U(±1/√in). Drawn on the CPU in fp32 so the seed means the same everywhere.
            var linear = target.Linear;
            double bound = 1 / Math.Sqrt(linear.InFeatures);
            var a = empty(options.Rank, linear.InFeatures).uniform_(-bound, bound, generator).to(model.DType, model.Device);
            // DoRA starts with m = ‖W‖ per row (B = 0), so the adapted model starts as the base, as in PEFT.
            Tensor? magnitude = null;
            if (options.UseDora)
                using (no_grad()) magnitude = linalg.norm(linear.Weight.to(ScalarType.Float32), dims: [1]).to(model.DType);
            return (target.Path, a, zeros(linear.OutFeatures, options.Rank, model.DType, model.Device), magnitude);
        });
        var config = new AdapterConfig(options.Rank, options.Alpha, options.Dropout, LoraTargets.LeafNames(targets.Select(t => t.Path)), baseModel,
            options.UseRsLora, options.UseDora);
        return new LoraAdapter(name, config, weights);
    }

    /// <summary>What a PEFT folder's adapter_config.json says, checked as <see cref="Load"/> checks it, without reading weights.</summary>
    public static AdapterConfig ReadConfig(string folder)
    {
        var configPath = Path.Combine(folder, PeftFormat.ConfigFileName);
        if (!File.Exists(configPath)) throw new InvalidModelException($"{folder}: no {PeftFormat.ConfigFileName}, so not a PEFT adapter folder");
        return PeftFormat.ReadConfig(configPath);
    }

    /// <summary>
    /// Reads a PEFT LoRA folder (this class's or Python PEFT's) for <paramref name="model"/>. Every tensor must be
    /// the A or B of one of the model's projections with the config's rank; anything else is an
    /// <see cref="InvalidModelException"/> naming the file and key. The tensors do not require grad.
    /// </summary>
    public static LoraAdapter Load(string folder, CausalLM model)
    {
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(folder)) throw new InvalidModelException($"Adapter folder '{folder}' does not exist.");
        var weightsPath = Path.Combine(folder, PeftFormat.WeightsFileName);
        var config = ReadConfig(folder);
        if (!File.Exists(weightsPath))
            throw new InvalidModelException($"{folder}: no {PeftFormat.WeightsFileName} (adapter_model.bin is a Python pickle and cannot be read; save with safe_serialization)");

        using var file = SafeTensorsFile.Open(weightsPath);
        var keys = MatchKeys(file, model, config);
        var weights = MakeWeights(keys, requiresGrad: false, key => (key.Path, file.Read(key.A, model.DType, model.Device),
            file.Read(key.B, model.DType, model.Device), key.Magnitude is null ? null : file.Read(key.Magnitude, model.DType, model.Device)));
        // The weights say which modules are adapted, whatever form target_modules took (list, regex, "all-linear").
        var targets = LoraTargets.LeafNames(keys.Select(k => k.Path));
        return new LoraAdapter(Path.GetFileName(folder), config with { TargetModules = targets }, weights);
    }

    /// <summary>Why the PEFT folder cannot be used with <paramref name="model"/> (read from the file's header only), or null when it fits.</summary>
    public static string? Misfit(string folder, CausalLM model)
    {
        try
        {
            var config = ReadConfig(folder);
            using var file = SafeTensorsFile.Open(Path.Combine(folder, PeftFormat.WeightsFileName));
            MatchKeys(file, model, config);
            return null;
        }
        catch (Exception e) when (e is InvalidModelException or IOException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Maps each projection of the model that the file adapts to its A and B keys (and DoRA magnitude key, which a
    /// DoRA config needs for every module and a plain one must not have), in the model's order, checking shapes.
    /// </summary>
    private static List<(string Path, string A, string B, string? Magnitude)> MatchKeys(SafeTensorsFile file, CausalLM model, AdapterConfig config)
    {
        int rank = config.Rank;
        var projections = model.Projections();
        var byPath = projections.ToDictionary(p => p.Path, p => p.Linear);
        var found = new Dictionary<string, (string? A, string? B)>();
        var magnitudes = new Dictionary<string, string>();
        foreach (var (key, info) in file.Tensors)
        {
            InvalidModelException Bad(string problem) => new($"{file.Path}: tensor '{key}' {problem}");
            if (PeftFormat.TryParseMagnitudeKey(key, out var magnitudePath))
            {
                if (!config.UseDora) throw Bad("is a DoRA magnitude, but adapter_config.json does not set use_dora");
                if (!byPath.TryGetValue(magnitudePath, out var adapted))
                    throw Bad($"is for module '{magnitudePath}', which this {model.Config.Family} model does not have as a linear layer");
                if (!info.Shape.SequenceEqual([adapted.OutFeatures]))
                    throw Bad($"has shape [{string.Join(", ", info.Shape)}]; module '{magnitudePath}' needs [{adapted.OutFeatures}]");
                magnitudes[magnitudePath] = key;
                continue;
            }
            if (!PeftFormat.TryParseKey(key, out var path, out var isA))
                throw Bad("is not a LoRA weight (expected base_model.model.<module>.lora_A.weight or .lora_B.weight)");
            if (!byPath.TryGetValue(path, out var linear))
                throw Bad($"is for module '{path}', which this {model.Config.Family} model does not have as a linear layer");
            long[] expected = isA ? [rank, linear.InFeatures] : [linear.OutFeatures, rank];
            if (!info.Shape.SequenceEqual(expected))
                throw Bad($"has shape [{string.Join(", ", info.Shape)}]; module '{path}' with rank {rank} needs [{string.Join(", ", expected)}]");
            var pair = found.GetValueOrDefault(path);
            if ((isA ? pair.A : pair.B) is not null) throw Bad($"gives module '{path}' a second lora_{(isA ? "A" : "B")}");
            found[path] = isA ? (key, pair.B) : (pair.A, key);
        }
        if (found.Count == 0) throw new InvalidModelException($"{file.Path}: holds no LoRA weights");
        foreach (var (path, (a, b)) in found)
        {
            if (a is null || b is null)
                throw new InvalidModelException($"{file.Path}: module '{path}' has lora_{(a is null ? "B" : "A")} but no lora_{(a is null ? "A" : "B")}");
            if (config.UseDora && !magnitudes.ContainsKey(path))
                throw new InvalidModelException($"{file.Path}: use_dora is set but module '{path}' has no lora_magnitude_vector");
        }
        if (magnitudes.Keys.FirstOrDefault(p => !found.ContainsKey(p)) is { } lonely)
            throw new InvalidModelException($"{file.Path}: module '{lonely}' has a lora_magnitude_vector but no lora_A and lora_B");
        return [.. projections.Where(p => found.ContainsKey(p.Path))
            .Select(p => (p.Path, found[p.Path].A!, found[p.Path].B!, magnitudes.GetValueOrDefault(p.Path)))];
    }

    /// <summary>Copies another adapter of the same shape's weights (A, B and any magnitudes) into this one's tensors.</summary>
    public void CopyFrom(LoraAdapter other)
    {
        using var noGrad = no_grad();
        foreach (var (path, (a, b)) in Weights)
        {
            a.copy_(other.Weights[path].A);
            b.copy_(other.Weights[path].B);
            if (Magnitudes.TryGetValue(path, out var magnitude))
                magnitude.copy_(other.Magnitudes.TryGetValue(path, out var theirs) ? theirs
                    : throw new ArgumentException($"adapter '{other.Name}' is plain LoRA; '{Name}' is DoRA and needs its magnitudes"));
        }
    }

    /// <summary>The A, B (and DoRA magnitude) tensors, for the optimizer; they require grad when created by <see cref="CreateTrainable"/>.</summary>
    public IEnumerable<Parameter> Parameters() => parameters;

    /// <summary>
    /// Writes a PEFT folder (adapter_config.json, adapter_model.safetensors) atomically: built beside
    /// <paramref name="folder"/> and renamed into place. An existing folder is an <see cref="IOException"/> unless
    /// <paramref name="overwrite"/>, which first renames it to NAME.backup-yyyyMMdd-HHmmss.
    /// </summary>
    public void Save(string folder, bool overwrite = false)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        bool fanInFanOut = Weights.Keys.Any(path => HfWeightNames.IsTransposedConv1D(path + ".weight"));
        AtomicFolder.Write(folder, AtomicFolder.OnExisting(overwrite), staging =>
        {
            PeftFormat.WriteConfig(Config, fanInFanOut, Path.Combine(staging, PeftFormat.ConfigFileName));
            using var scope = NewDisposeScope();
            var tensors = Weights.SelectMany(w => new[]
            {
                KeyValuePair.Create(PeftFormat.KeyOf(w.Key, isA: true), w.Value.A.detach()),
                KeyValuePair.Create(PeftFormat.KeyOf(w.Key, isA: false), w.Value.B.detach()),
            }).Concat(Magnitudes.Select(m => KeyValuePair.Create(PeftFormat.MagnitudeKeyOf(m.Key), m.Value.detach())));
            SafeTensorsWriter.Write(Path.Combine(staging, PeftFormat.WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        });
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless every weight fits a projection of the model, in shape, dtype and device.</summary>
    internal void EnsureFits(IReadOnlyDictionary<string, AdaptableLinear> projections)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        foreach (var (path, (a, b)) in Weights)
        {
            if (!projections.TryGetValue(path, out var linear))
                throw new ArgumentException($"adapter '{Name}' adapts '{path}', which this model does not have");
            if (a.shape[1] != linear.InFeatures || b.shape[0] != linear.OutFeatures)
                throw new ArgumentException($"adapter '{Name}' was made for a model of another shape: '{path}' is [{linear.OutFeatures}, {linear.InFeatures}] here");
            if (a.dtype != linear.Weight.dtype || a.device_type != linear.Weight.device_type || a.device_index != linear.Weight.device_index)
                throw new ArgumentException($"adapter '{Name}' is {a.device}/{a.dtype} but the model is {linear.Weight.device}/{linear.Weight.dtype}");
        }
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var parameter in parameters) parameter.Dispose();
        foreach (var k in frozenMagnitudeScales.Values) k.Dispose();
    }

    /// <summary>
    /// Makes each module's A, B (and magnitude) as parameters owned by the adapter, not by any dispose scope the
    /// caller has open; if one fails, those already made are freed.
    /// </summary>
    private static List<(string Path, Parameter A, Parameter B, Parameter? Magnitude)> MakeWeights<TModule>(
        IEnumerable<TModule> modules, bool requiresGrad, Func<TModule, (string Path, Tensor A, Tensor B, Tensor? Magnitude)> make)
    {
        var weights = new List<(string, Parameter, Parameter, Parameter?)>();
        Parameter Own(Tensor t)
        {
            var parameter = new Parameter(t, requiresGrad);
            parameter.DetachFromDisposeScope();
            return parameter;
        }
        try
        {
            foreach (var module in modules)
            {
                using var scope = NewDisposeScope();
                var (path, a, b, magnitude) = make(module);
                weights.Add((path, Own(a), Own(b), magnitude is null ? null : Own(magnitude)));
            }
            return weights;
        }
        catch
        {
            foreach (var (_, a, b, m) in weights) { a.Dispose(); b.Dispose(); m?.Dispose(); }
            throw;
        }
    }
}
