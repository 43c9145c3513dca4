"""The replica's content: the five seed reports and the synthetic corpus, with ground truth.

One module per concern:
  grid      a table as merged cells (Cell/Grid), rendered to Word-style HTML with seeded quirks
  template  the 2019 / 2021 national template: labels, figures, tables 二/三/四, checks, summary
  indicator Zhejiang-style indicator tables (指标名称 | 单位 | 本年累计): rows, keys, values
  prose     sentences that carry (or only look like they carry) the headline figures
  pdf, docx attachment renderings (reportlab with the WenQuanYi font; python-docx)
  seeds     the five seed reports as the CMS would hold them
  synth     the synthetic reports and notices of every agency and year
Entry point: replica.corpus.build_corpus().
"""
