using System.Text;
using TorchSharp;
using WebUI.Engine.Loading;
using WebUI.Engine.Modeling;
using static TorchSharp.torch;

namespace WebUI.Engine.Insight;

/// <summary>A token and how likely (or how near) it is.</summary>
public sealed record TokenScore(string Token, double P);

/// <summary>
/// What training did to one probe text: the cosine distance (1 − cos) between base and tuned hidden states at every
/// depth ([0] the embeddings, [i] after layer i), averaged over the probe's own tokens; and its nearest tokens
/// before and after: those whose output embedding (a row of the head) has the highest cosine similarity with the
/// probe's last hidden state after the final norm.
/// </summary>
public sealed record ProbeReport(string Text, IReadOnlyList<string> Pieces, IReadOnlyList<double> DriftByLayer,
    IReadOnlyList<TokenScore> NeighboursBefore, IReadOnlyList<TokenScore> NeighboursAfter);

/// <summary>One probe's place on the map before and after training.</summary>
public sealed record MapPoint(string Text, double BeforeX, double BeforeY, double AfterX, double AfterY);

/// <summary>
/// A 2-D PCA of the probes' hidden states (their last token, at depth <paramref name="Layer"/>), before and after
/// together, so arrows from each old position to its new one show how training moved them; the two axes hold
/// <paramref name="ExplainedVariance"/> of the points' variance.
/// </summary>
public sealed record ProbeMap(int Layer, double ExplainedVariance, IReadOnlyList<MapPoint> Points);

/// <summary>The most likely next tokens after a prompt, before and after training.</summary>
public sealed record NextTokenReport(string Prompt, IReadOnlyList<TokenScore> Before, IReadOnlyList<TokenScore> After);

public static class ProbeMeasures
{
    public const int Neighbours = 10;

    public static ProbeReport Probe(ModelSide before, ModelSide after, string text)
    {
        var ids = Encode(before.Loaded, text);
        int first = ids.Count > 1 && before.Loaded.Tokenizer.BosId == ids[0] ? 1 : 0;
        var statesBefore = before.Measure(m => States(m, ids));
        var statesAfter = after.Measure(m => States(m, ids));
        var drift = statesBefore.Zip(statesAfter, (b, a) => CosineDistance(b, a, first)).ToList();
        return new ProbeReport(text, [.. ids.Skip(first).Select(id => Text(before.Loaded, id))], drift,
            before.Measure(m => Nearest(m, ids)), after.Measure(m => Nearest(m, ids)));
    }

    /// <summary>The probes' last hidden states (after the last layer, before the final norm) projected on their two principal axes; null without probes.</summary>
    public static ProbeMap? Map(ModelSide before, ModelSide after, IReadOnlyList<string> probes)
    {
        if (probes.Count == 0) return null;
        int layer = before.Loaded.Config.NumLayers;
        var vectors = new List<float[]>();
        foreach (var text in probes)
        {
            var ids = Encode(before.Loaded, text);
            vectors.Add(before.Measure(m => States(m, ids))[layer][^1]);
            vectors.Add(after.Measure(m => States(m, ids))[layer][^1]);
        }
        using var scope = NewDisposeScope();
        var points = tensor(vectors.SelectMany(v => v.Select(x => (double)x)).ToArray(), [vectors.Count, vectors[0].Length]);
        var centred = points.add(points.mean([0], keepdim: true), TorchScalars.Of(-1));
        var (_, singular, vh) = linalg.svd(centred, fullMatrices: false);
        int axes = Math.Min(2, (int)vh.shape[0]);
        var coordinates = centred.mm(vh[..axes].t()).data<double>().ToArray();
        var variance = singular.square().data<double>().ToArray();
        double total = variance.Sum();
        double At(int point, int axis) => axis < axes ? coordinates[point * axes + axis] : 0;
        return new ProbeMap(layer, total > 0 ? variance.Take(axes).Sum() / total : 1,
            [.. probes.Select((text, i) => new MapPoint(text, At(2 * i, 0), At(2 * i, 1), At(2 * i + 1, 0), At(2 * i + 1, 1)))]);
    }

    public static NextTokenReport NextToken(ModelSide before, ModelSide after, string prompt, int count = 10)
    {
        var ids = Encode(before.Loaded, prompt);
        return new NextTokenReport(prompt, before.Measure(m => Likeliest(m, ids, count)), after.Measure(m => Likeliest(m, ids, count)));
    }

    /// <summary>Mean over positions from <paramref name="first"/> of 1 − cos(a, b); inputs [tokens, hidden].</summary>
    public static double CosineDistance(float[][] a, float[][] b, int first)
    {
        double sum = 0;
        for (int t = first; t < a.Length; t++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < a[t].Length; i++) { dot += a[t][i] * b[t][i]; na += a[t][i] * a[t][i]; nb += b[t][i] * b[t][i]; }
            sum += 1 - (na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.Sqrt(na * nb));
        }
        return sum / Math.Max(1, a.Length - first);
    }

    private static IReadOnlyList<int> Encode(LoadedModel model, string text)
    {
        var ids = model.Tokenizer.Encode(text);
        if (ids.Count == 0) throw new ArgumentException($"'{text}' has no tokens");
        if (ids.Count > model.Config.MaxPositions) throw new ArgumentException($"'{text[..Math.Min(40, text.Length)]}…' has {ids.Count} tokens; the model's context is {model.Config.MaxPositions}");
        return ids;
    }

    // Every depth's hidden states [tokens, hidden] for one text.
    private static List<float[][]> States(LoadedModel model, IReadOnlyList<int> ids)
    {
        using var inference = torch.inference_mode();
        using var scope = NewDisposeScope();
        using var runner = new HiddenStatesRunner();
        model.Model.Hidden(Ids(model, ids), null, runner);
        return [.. runner.States.Select(Rows)];
    }

    private static IReadOnlyList<TokenScore> Nearest(LoadedModel model, IReadOnlyList<int> ids)
    {
        using var inference = torch.inference_mode();
        using var scope = NewDisposeScope();
        var last = model.Model.Hidden(Ids(model, ids))[0, -1].to(ScalarType.Float32);
        var head = model.Model.OutputWeight.to(ScalarType.Float32);
        var similarity = head.mv(last) / (head.norm(1) * last.norm()).clamp_min(1e-12);
        return Top(model, similarity, Neighbours);
    }

    private static IReadOnlyList<TokenScore> Likeliest(LoadedModel model, IReadOnlyList<int> ids, int count)
    {
        using var inference = torch.inference_mode();
        using var scope = NewDisposeScope();
        var logits = model.Model.Forward(Ids(model, ids), null, [ids.Count - 1])[0, 0].to(ScalarType.Float32);
        return Top(model, logits.softmax(0), count);
    }

    private static IReadOnlyList<TokenScore> Top(LoadedModel model, Tensor scores, int count)
    {
        var (values, indices) = scores.topk(Math.Min(count, (int)scores.shape[0]));
        var v = values.to(ScalarType.Float64).data<double>().ToArray();
        var i = indices.data<long>().ToArray();
        return [.. v.Zip(i, (score, id) => new TokenScore(Text(model, (int)id), score))];
    }

    private static Tensor Ids(LoadedModel model, IReadOnlyList<int> ids) =>
        tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count], device: model.Model.Device);

    private static float[][] Rows(Tensor states)
    {
        var flat = states[0].to(ScalarType.Float32).cpu();
        int tokens = (int)flat.shape[0], width = (int)flat.shape[1];
        var all = flat.data<float>().ToArray();
        return [.. Enumerable.Range(0, tokens).Select(t => all[(t * width)..((t + 1) * width)])];
    }

    private static string Text(LoadedModel model, int id) => Encoding.UTF8.GetString(model.Tokenizer.TokenBytes(id));
}
