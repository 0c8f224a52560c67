"""The look shared by every printable page (session report, progress report).

One stylesheet for both, so a patient's file from the clinic reads as one document:
inline CSS only, nothing fetched.
"""

#: Screen rules common to the printable pages; each page adds its own and its print block.
REPORT_CSS = """
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1f2933;
  margin: 0; background: #ffffff; }
main { max-width: 860px; margin: 0 auto; padding: 28px 32px 40px; }
h1 { font-size: 24px; color: #134e4a; margin: 0 0 4px; }
h2 { font-size: 17px; color: #134e4a; margin: 26px 0 8px; border-bottom: 2px solid #d7e7e4;
  padding-bottom: 4px; }
.sub { color: #475569; margin: 0 0 14px; font-size: 14px; }
.tiles { display: flex; gap: 10px; flex-wrap: wrap; }
.tile { flex: 1 1 120px; background: #f0f5f4; border-radius: 10px; padding: 8px 12px; }
.tile .l { font-size: 12px; color: #475569; }
.tile .v { font-size: 20px; font-weight: 650; color: #134e4a; }
table { width: 100%; border-collapse: collapse; font-size: 13px; margin: 4px 0 8px; }
th { text-align: left; background: #f0f5f4; color: #134e4a; padding: 6px 8px; }
td { padding: 5px 8px; border-bottom: 1px solid #e5eeec; vertical-align: top; }
.chart { margin: 6px 0 12px; }
.hint { font-size: 12px; color: #64748b; }
.notes { white-space: pre-wrap; border: 1px solid #dbe5e3; border-radius: 8px; padding: 8px 12px;
  min-height: 60px; font-size: 14px; }
.patient { font-size: 15px; margin: 0 0 6px; }
svg text { font-family: inherit; }
"""
