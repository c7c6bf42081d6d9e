using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using OdooAspire.OdooStandIn.JsonRpc;

namespace OdooAspire.OdooStandIn.Controllers;

/// <summary>
/// res.partner in a real table: reads (search_read, read, search_count) through the replica connection, as
/// Odoo sends <c>@api.readonly</c> methods; writes (create, write, unlink) on the primary.
/// </summary>
public sealed class Partners(StandInDatabase database)
{
    public const string Model = "res.partner";

    private static readonly Dictionary<string, NpgsqlDbType> Fields = new()
    {
        ["id"] = NpgsqlDbType.Integer,
        ["name"] = NpgsqlDbType.Varchar,
        ["email"] = NpgsqlDbType.Varchar,
        ["phone"] = NpgsqlDbType.Varchar,
        ["active"] = NpgsqlDbType.Boolean,
        ["create_date"] = NpgsqlDbType.Timestamp,
        ["write_date"] = NpgsqlDbType.Timestamp,
    };

    private static readonly HashSet<string> Writable = ["name", "email", "phone", "active"];

    private static readonly Dictionary<string, string> Operators = new()
    {
        ["="] = "=", ["!="] = "<>", ["<"] = "<", [">"] = ">", ["<="] = "<=", [">="] = ">=",
        ["like"] = "LIKE", ["ilike"] = "ILIKE", ["not like"] = "NOT LIKE", ["not ilike"] = "NOT ILIKE",
        ["in"] = "= ANY", ["not in"] = "<> ALL",
    };

    public static bool IsReadonly(string method) => method is "search_read" or "read" or "search_count";

    public async Task<JsonNode?> CallAsync(string method, JsonArray args, JsonObject kwargs, CancellationToken cancellationToken) => method switch
    {
        "search_read" => await SearchReadAsync(Arg(args, kwargs, 0, "domain") as JsonArray, FieldList(Arg(args, kwargs, 1, "fields")),
            Integer(kwargs["offset"]), Integer(kwargs["limit"]), kwargs["order"]?.GetValue<string>(), cancellationToken),
        "read" => await ReadAsync(Ids(Arg(args, kwargs, 0, "ids")), FieldList(Arg(args, kwargs, 1, "fields")), cancellationToken),
        "search_count" => await SearchCountAsync(Arg(args, kwargs, 0, "domain") as JsonArray, cancellationToken),
        "create" => await CreateAsync(Arg(args, kwargs, 0, "vals_list"), cancellationToken),
        "write" => await WriteAsync(Ids(Arg(args, kwargs, 0, "ids")), Arg(args, kwargs, 1, "vals") as JsonObject
            ?? throw OdooException.ValueError("write() needs a dict of values"), cancellationToken),
        "unlink" => await UnlinkAsync(Ids(Arg(args, kwargs, 0, "ids")), cancellationToken),
        _ => throw new OdooException("builtins.AttributeError", $"The method '{method}' does not exist on the model '{Model}'"),
    };

    private async Task<JsonArray> SearchReadAsync(JsonArray? domain, IReadOnlyList<string> fields, int? offset, int? limit, string? order, CancellationToken cancellationToken)
    {
        await using var command = database.Replica.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns(fields)} FROM res_partner WHERE {Where(domain, command)} ORDER BY {OrderBy(order)}");
        if (limit is { } l)
        {
            sql.Append(" LIMIT ").Append(l);
        }

        if (offset is { } o)
        {
            sql.Append(" OFFSET ").Append(o);
        }

        command.CommandText = sql.ToString();
        return await RowsAsync(command, fields, cancellationToken);
    }

    private async Task<JsonArray> ReadAsync(int[] ids, IReadOnlyList<string> fields, CancellationToken cancellationToken)
    {
        await using var command = database.Replica.CreateCommand($"SELECT {Columns(fields)} FROM res_partner WHERE id = ANY(@ids) ORDER BY id");
        command.Parameters.AddWithValue("ids", ids);
        var rows = await RowsAsync(command, fields, cancellationToken);
        var missing = ids.Except(rows.Select(r => r!["id"]!.GetValue<int>())).ToList();
        if (missing.Count > 0)
        {
            throw new OdooException("odoo.exceptions.MissingError",
                $"Record does not exist or has been deleted.\n(Record: {Model}({string.Join(", ", missing)},), User: 2)");
        }

        return rows;
    }

    private async Task<JsonNode> SearchCountAsync(JsonArray? domain, CancellationToken cancellationToken)
    {
        await using var command = database.Replica.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM res_partner WHERE {Where(domain, command)}";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<JsonNode> CreateAsync(JsonNode? values, CancellationToken cancellationToken)
    {
        // As Odoo's call_kw: a dict creates one record and answers its id, a list answers the list of ids.
        var single = values is JsonObject;
        var list = values switch
        {
            JsonObject one => [one],
            JsonArray many when many.All(v => v is JsonObject) => many.Cast<JsonObject>().ToList(),
            _ => throw OdooException.ValueError("create() needs a dict of values or a list of dicts"),
        };

        var ids = new JsonArray();
        await using var connection = await database.Primary.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var record in list)
        {
            if (record["name"] is not JsonValue name || !name.TryGetValue<string>(out var text) || text.Length == 0)
            {
                throw OdooException.ValueError("The operation cannot be completed: Contacts require a name");
            }

            await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
            var columns = Assignments(record, command);
            command.CommandText = $"INSERT INTO res_partner ({string.Join(", ", columns.Select(c => c.Column))}) VALUES ({string.Join(", ", columns.Select(c => c.Parameter))}) RETURNING id";
            ids.Add((int)(await command.ExecuteScalarAsync(cancellationToken))!);
        }

        await transaction.CommitAsync(cancellationToken);
        return single ? ids[0]!.DeepClone() : ids;
    }

    private async Task<JsonNode> WriteAsync(int[] ids, JsonObject values, CancellationToken cancellationToken)
    {
        await using var command = database.Primary.CreateCommand();
        var columns = Assignments(values, command);
        command.CommandText = $"UPDATE res_partner SET {string.Join(", ", columns.Select(c => $"{c.Column} = {c.Parameter}"))}, write_date = now() at time zone 'utc' WHERE id = ANY(@ids)";
        command.Parameters.AddWithValue("ids", ids);
        await EnsureAllUpdatedAsync(await command.ExecuteNonQueryAsync(cancellationToken), ids);
        return true;
    }

    private async Task<JsonNode> UnlinkAsync(int[] ids, CancellationToken cancellationToken)
    {
        // Partner 3 belongs to the admin user; Odoo refuses to delete it too.
        if (ids.Contains(3))
        {
            throw new OdooException("odoo.exceptions.UserError", "You cannot delete the partner of a user.");
        }

        await using var command = database.Primary.CreateCommand("DELETE FROM res_partner WHERE id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", ids);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    private static Task EnsureAllUpdatedAsync(int updated, int[] ids) =>
        updated == ids.Distinct().Count()
            ? Task.CompletedTask
            : throw new OdooException("odoo.exceptions.MissingError", $"Record does not exist or has been deleted.\n(Record: {Model}({string.Join(", ", ids)},), User: 2)");

    private static List<(string Column, string Parameter)> Assignments(JsonObject values, NpgsqlCommand command)
    {
        var columns = new List<(string, string)>();
        foreach (var (field, value) in values)
        {
            if (!Writable.Contains(field))
            {
                throw OdooException.ValueError($"Invalid field '{field}' on model '{Model}'");
            }

            var parameter = $"@v{command.Parameters.Count}";
            command.Parameters.Add(new NpgsqlParameter(parameter, Fields[field]) { Value = Scalar(value, field) });
            columns.Add((field, parameter));
        }

        return columns;
    }

    private static string Where(JsonArray? domain, NpgsqlCommand command)
    {
        var terms = new List<string>();
        var mentionsActive = false;
        foreach (var term in domain ?? [])
        {
            if (term is JsonValue op && op.TryGetValue<string>(out var text) && text == "&")
            {
                continue;
            }

            if (term is not JsonArray { Count: 3 } leaf || leaf[0] is not JsonValue f || !f.TryGetValue<string>(out var field)
                || leaf[1] is not JsonValue o || !o.TryGetValue<string>(out var comparison))
            {
                throw OdooException.ValueError($"Invalid leaf {term?.ToJsonString()}: the stand-in understands [field, operator, value] terms joined by '&'");
            }

            if (!Fields.TryGetValue(field, out var type))
            {
                throw OdooException.ValueError($"Invalid field {Model}.{field} in leaf {leaf.ToJsonString()}");
            }

            if (!Operators.TryGetValue(comparison, out var sqlOperator))
            {
                throw OdooException.ValueError($"Invalid leaf {leaf.ToJsonString()}: operator '{comparison}' is not supported by the stand-in");
            }

            mentionsActive |= field == "active";
            var parameter = $"@d{command.Parameters.Count}";
            if (comparison is "in" or "not in")
            {
                var values = leaf[2] as JsonArray ?? throw OdooException.ValueError($"Invalid leaf {leaf.ToJsonString()}: '{comparison}' needs a list");
                command.Parameters.Add(new NpgsqlParameter(parameter, NpgsqlDbType.Array | type) { Value = ArrayOf(values, field, type) });
                terms.Add($"{field} {sqlOperator}({parameter})");
            }
            else if (leaf[2] is null || (leaf[2] is JsonValue b && b.GetValueKind() == JsonValueKind.False && type != NpgsqlDbType.Boolean))
            {
                terms.Add(comparison == "=" ? $"{field} IS NULL" : $"{field} IS NOT NULL");
            }
            else
            {
                command.Parameters.Add(new NpgsqlParameter(parameter, type) { Value = comparison.Contains("like") ? $"%{Scalar(leaf[2], field)}%" : Scalar(leaf[2], field) });
                terms.Add($"{field} {sqlOperator} {parameter}");
            }
        }

        // Odoo hides archived records unless the domain asks about 'active'.
        if (!mentionsActive)
        {
            terms.Add("active");
        }

        return string.Join(" AND ", terms);
    }

    private static object ArrayOf(JsonArray values, string field, NpgsqlDbType type) => type switch
    {
        NpgsqlDbType.Integer => values.Select(v => (int)Scalar(v, field)).ToArray(),
        NpgsqlDbType.Boolean => values.Select(v => (bool)Scalar(v, field)).ToArray(),
        _ => values.Select(v => Scalar(v, field).ToString()).ToArray(),
    };

    private static object Scalar(JsonNode? value, string field) => value switch
    {
        null => DBNull.Value,
        JsonValue v when v.GetValueKind() == JsonValueKind.False && field != "active" => DBNull.Value,
        JsonValue v when Fields[field] == NpgsqlDbType.Boolean && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when Fields[field] == NpgsqlDbType.Integer && v.TryGetValue<int>(out var number) => number,
        JsonValue v when Fields[field] == NpgsqlDbType.Varchar && v.TryGetValue<string>(out var text) => text,
        _ => throw OdooException.ValueError($"Wrong value for {Model}.{field}: {value.ToJsonString()}"),
    };

    private static string Columns(IReadOnlyList<string> fields) => string.Join(", ", fields);

    private static string OrderBy(string? order)
    {
        if (string.IsNullOrWhiteSpace(order))
        {
            return "id";
        }

        var parts = order.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var direction = words.Length > 1 ? words[1].ToUpperInvariant() : "ASC";
            return Fields.ContainsKey(words[0]) && words.Length <= 2 && direction is "ASC" or "DESC"
                ? $"{words[0]} {direction}"
                : throw OdooException.ValueError($"Invalid \"order\" specified ({order})");
        });
        return string.Join(", ", parts);
    }

    private static IReadOnlyList<string> FieldList(JsonNode? node)
    {
        var requested = node is JsonArray list && list.Count > 0
            ? list.Select(f => f?.GetValue<string>() ?? "").ToList()
            : Fields.Keys.ToList();
        foreach (var field in requested.Where(f => !Fields.ContainsKey(f)))
        {
            throw OdooException.ValueError($"Invalid field '{field}' on model '{Model}'");
        }

        // Odoo always returns the id.
        return requested.Contains("id") ? requested : ["id", .. requested];
    }

    private static async Task<JsonArray> RowsAsync(NpgsqlCommand command, IReadOnlyList<string> fields, CancellationToken cancellationToken)
    {
        var rows = new JsonArray();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new JsonObject();
            for (var i = 0; i < fields.Count; i++)
            {
                // Odoo answers False, not null, for an empty field.
                row[fields[i]] = reader.IsDBNull(i) ? false : reader.GetValue(i) switch
                {
                    DateTime time => time.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                    var other => JsonValue.Create(other),
                };
            }

            rows.Add(row);
        }

        return rows;
    }

    private static JsonNode? Arg(JsonArray args, JsonObject kwargs, int position, string name) =>
        args.Count > position ? args[position] : kwargs[name];

    private static int? Integer(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var number) ? number : null;

    private static int[] Ids(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<int>(out var id) => [id],
        JsonArray list when list.All(i => i is JsonValue v && v.TryGetValue<int>(out _)) => list.Select(i => i!.GetValue<int>()).ToArray(),
        _ => throw OdooException.ValueError($"Expected record ids, got {node?.ToJsonString() ?? "nothing"}"),
    };
}
