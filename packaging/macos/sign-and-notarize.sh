#!/bin/sh
# Signs Proxydesk.app with a Developer ID and has Apple notarize it (then staples the
# ticket), so Gatekeeper opens it without the "unidentified developer" dialog.
#   sh packaging/macos/sign-and-notarize.sh dist/Proxydesk.app
# From the environment (CI: repository secrets; absent there, the step is skipped and the
# artifact is unsigned -- see README.md's macOS note):
#   MACOS_SIGNING_IDENTITY       "Developer ID Application: NAME (TEAMID)"
#   MACOS_CERTIFICATE_P12        that certificate and key, base64 (optional: else it must
#   MACOS_CERTIFICATE_PASSWORD   already be in the login keychain)
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   for notarytool (an app-specific password)
set -eu
app=${1:?usage: sign-and-notarize.sh PATH/Proxydesk.app}
: "${MACOS_SIGNING_IDENTITY:?not set: nothing to sign with}"

if [ -n "${MACOS_CERTIFICATE_P12:-}" ]; then
  keychain=$RUNNER_TEMP/signing.keychain-db
  password=$(uuidgen)
  echo "$MACOS_CERTIFICATE_P12" | base64 --decode > "$RUNNER_TEMP/cert.p12"
  security create-keychain -p "$password" "$keychain"
  security set-keychain-settings -lut 3600 "$keychain"
  security unlock-keychain -p "$password" "$keychain"
  security import "$RUNNER_TEMP/cert.p12" -k "$keychain" -P "$MACOS_CERTIFICATE_PASSWORD" -T /usr/bin/codesign
  security set-key-partition-list -S apple-tool:,apple: -s -k "$password" "$keychain" >/dev/null
  security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
  rm -f "$RUNNER_TEMP/cert.p12"
fi

# Hardened runtime (required for notarization); --deep signs every nested binary.
codesign --force --deep --options runtime --timestamp --sign "$MACOS_SIGNING_IDENTITY" "$app"
codesign --verify --deep --strict --verbose=2 "$app"

zip=$(dirname "$app")/Proxydesk-notarize.zip
ditto -c -k --keepParent "$app" "$zip"
xcrun notarytool submit "$zip" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
  --password "$APPLE_APP_PASSWORD" --wait
xcrun stapler staple "$app"
rm -f "$zip"
