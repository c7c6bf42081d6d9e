using System.Security.Cryptography;
using System.Text;

namespace OdooAspire.OdooStandIn;

/// <summary>
/// Odoo's password hashes: passlib's pbkdf2_sha512 format (<c>$pbkdf2-sha512$rounds$salt$checksum</c>, adapted
/// base64) with Odoo 18's 600 000 rounds, so a check costs what Odoo's costs.
/// </summary>
public static class Passwords
{
    private const int Rounds = 600_000;
    private const string Scheme = "$pbkdf2-sha512$";

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var checksum = Derive(password, salt, Rounds);
        return $"{Scheme}{Rounds}${AdaptedBase64(salt)}${AdaptedBase64(checksum)}";
    }

    public static bool Verify(string password, string hash)
    {
        var parts = hash.Split('$');
        if (parts.Length != 5 || parts[1] != "pbkdf2-sha512" || !int.TryParse(parts[2], out var rounds))
        {
            return false;
        }

        var expected = FromAdaptedBase64(parts[4]);
        var actual = Derive(password, FromAdaptedBase64(parts[3]), rounds);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static byte[] Derive(string password, byte[] salt, int rounds) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, rounds, HashAlgorithmName.SHA512, 64);

    private static string AdaptedBase64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '.');

    private static byte[] FromAdaptedBase64(string text)
    {
        var base64 = text.Replace('.', '+');
        return Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '='));
    }
}
