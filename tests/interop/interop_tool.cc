// interop_tool: exposes hookline's Standard Webhooks signer and verifier to the
// interop test, which drives them against the official npm library.
//
//   interop_tool sign   --secret S --id I --timestamp T            < body  -> prints "v1,..."
//   interop_tool verify --secret S [--secret S2] --id I --timestamp T --signature SIG < body
//       exit 0 if verified, 1 if rejected (the reason on stdout), 2 on bad usage.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "hookline/receiver/verifier.h"
#include "hookline/secret.h"
#include "hookline/signing.h"

namespace {

std::string ReadStdin() {
  std::cin >> std::noskipws;
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hookline Standard Webhooks sign/verify for interop tests"};
  app.require_subcommand(1);
  std::vector<std::string> secrets;
  std::string id, timestamp, signature;

  CLI::App* sign = app.add_subcommand("sign", "print our signature of stdin");
  sign->add_option("--secret", secrets)->required()->expected(1);
  sign->add_option("--id", id)->required();
  sign->add_option("--timestamp", timestamp)->required();

  CLI::App* verify = app.add_subcommand("verify", "verify stdin; exit 0 if it verifies");
  verify->add_option("--secret", secrets)
      ->required()
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify->add_option("--id", id)->required();
  verify->add_option("--timestamp", timestamp)->required();
  verify->add_option("--signature", signature)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::string body = ReadStdin();

  if (*sign) {
    auto secret = hookline::Secret::Parse(secrets.front());
    if (!secret.ok()) {
      std::fprintf(stderr, "interop_tool: %s\n", secret.status().message().c_str());
      return 2;
    }
    int64_t ts = 0;
    try {
      ts = std::stoll(timestamp);
    } catch (const std::exception&) {
      std::fprintf(stderr, "interop_tool: --timestamp is not a number\n");
      return 2;
    }
    std::printf("%s\n", hookline::Sign(*secret, id, ts, body).c_str());
    return 0;
  }

  auto verifier = hookline::receiver::Verifier::Create(secrets);
  if (!verifier.ok()) {
    std::fprintf(stderr, "interop_tool: %s\n", verifier.status().message().c_str());
    return 2;
  }
  hookline::receiver::VerifyResult r = verifier->Verify(id, timestamp, signature, body);
  std::printf("%s%s%s\n", std::string(VerifyOutcomeName(r.outcome)).c_str(), r.ok() ? "" : ": ",
              r.message.c_str());
  return r.ok() ? 0 : 1;
}
