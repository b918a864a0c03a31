; Inno Setup script: the Windows installer of the bundle built by
; packaging\windows\proxydesk.spec (dist\proxydesk\).  From the repository root:
;   iscc /DAppVersion=0.1.0 packaging\windows\proxydesk.iss
; writes dist\out\proxydesk-VERSION-setup.exe.  Installs per user by default
; (no administrator needed; the dialog offers all users), with a Start-menu entry for
; the app and one for the uninstaller, and an uninstaller in Apps & features.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define Dist "..\..\dist\proxydesk"

[Setup]
AppId=io.github.proxydesk.Proxydesk
AppName=Proxydesk
AppVersion={#AppVersion}
AppPublisher=The Proxydesk developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Proxydesk
DefaultGroupName=Proxydesk
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\out
OutputBaseFilename=proxydesk-{#AppVersion}-setup
SetupIconFile={#Dist}\_internal\app.ico
UninstallDisplayIcon={app}\proxydesk-gui.exe
Uninstallable=yes
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Dist}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Proxydesk"; Filename: "{app}\proxydesk-gui.exe"
Name: "{group}\Uninstall Proxydesk"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Proxydesk"; Filename: "{app}\proxydesk-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\proxydesk-gui.exe"; Description: "{cm:LaunchProgram,Proxydesk}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; __pycache__ and the like written next to the bundle at run time
Type: filesandordirs; Name: "{app}\_internal"
