// The wasmcloud:extras provider built into every host (RequestGuid, RequestRandom, RequestSequence), as in
// wasmCloud 0.18, under the same public key so existing manifests that link to it work unchanged.
#pragma once

#include <string_view>

#include "stratus/provider.h"

namespace stratus::host {

/// wasmCloud's own claims token for its built-in extras provider (crates/wasmcloud-host/src/capability/extras.rs,
/// EXTRAS_JWT): subject VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP, issued by the wasmCloud account.
inline constexpr std::string_view kExtrasToken =
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0.eyJqdGkiOiJxaFBJdWJMZnRxNE1RdlkxbkQzODJsIiwiaWF0IjoxNjE0ODc3"
    "ODM5LCJpc3MiOiJBQ09KSk42V1VQNE9ERDc1WEVCS0tUQ0NVSkpDWTVaS1E1NlhWS1lLNEJFSldHVkFPT1FIWk1DVyIsInN1YiI6"
    "IlZESFBLR0ZLREkzNFk0Uk40UFdXWkhSWVo2MzczSFlSU05ORU00VVRETExPR081QjM3VFNWUkVQIiwid2FzY2FwIjp7Im5hbWUi"
    "OiJ3YXNtY2xvdWQgRXh0cmFzIiwiY2FwaWQiOiJ3YXNtY2xvdWQ6ZXh0cmFzIiwidmVuZG9yIjoid2FzbWNsb3VkIiwidGFyZ2V0"
    "X2hhc2hlcyI6e319fQ.tD3rA1M7fpzyt5-bX1nevdKG4e8GNNjRfNP5Mdz0MHnoZ2R-Qs6APwp2m6PvM9T5-Q4_wBzb_ZpVUoTSi_2RAQ";

/// A new extras provider as a C function table (released by its stop), for NativeProvider::fromTable.
const stratus_provider* createExtrasProvider();

}  // namespace stratus::host
